#include <rapport/io/generate.hpp>
#include <rapport/io/writers.hpp>
#include <rapport/scoring/scorer.hpp>

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <variant>

using namespace rapport;

namespace {

// Every row of a base, as rows a source would give.
struct Rows {
  std::vector<CustomerRow> customers;
  std::vector<ContactEntry> contacts;
  std::vector<PurchaseRow> purchases;
  std::vector<ReferralRow> referrals;
};

Rows rows_of(const CustomerBase& b) {
  Rows r;
  for (std::size_t c = 0; c < b.customer_count(); ++c) {
    r.customers.push_back({b.customer_id[c], b.acquired_on[c], b.segment_names[b.segment[c]]});
    for (auto k = b.contact_offsets[c]; k < b.contact_offsets[c + 1]; ++k)
      r.contacts.push_back(
          {b.customer_id[c],
           ContactRow{b.contact_at[k], b.contact_channel[k], b.contact_stage[k], b.contact_initiator[k],
                      b.contact_aspect[k], b.contact_impression[k], b.contact_complaint[k] != 0, b.resolved_at(k)}});
    for (auto k = b.purchase_offsets[c]; k < b.purchase_offsets[c + 1]; ++k)
      r.purchases.push_back({b.customer_id[c], b.purchase_at[k], b.purchase_amount[k]});
  }
  for (std::size_t k = 0; k < b.referral_count(); ++k)
    r.referrals.push_back({b.person(b.referral_from[k]), b.person(b.referral_to[k]), b.referral_at[k]});
  return r;
}

// A fresh base of the rows through the builder (customers first, each table in row order).
CustomerBase build(const Rows& r) {
  CustomerBaseBuilder b;
  for (const auto& x : r.customers) EXPECT_EQ(b.add_customer(x.customer_id, x.acquired_on, x.segment), "");
  for (const auto& x : r.contacts) EXPECT_EQ(b.add_contact(x.customer_id, x.row), "");
  for (const auto& x : r.purchases) EXPECT_EQ(b.add_purchase(x.customer_id, x.at, x.amount), "");
  for (const auto& x : r.referrals) EXPECT_EQ(b.add_referral(x.referrer_id, x.referred_id, x.at), "");
  return b.finish();
}

void append(Rows& to, const RowBatch& batch) {
  to.customers.insert(to.customers.end(), batch.customers.begin(), batch.customers.end());
  to.contacts.insert(to.contacts.end(), batch.contacts.begin(), batch.contacts.end());
  to.purchases.insert(to.purchases.end(), batch.purchases.begin(), batch.purchases.end());
  to.referrals.insert(to.referrals.end(), batch.referrals.begin(), batch.referrals.end());
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string csv_of(const CustomerBase& base, const ScoreResult& result) {
  const rapport::test::TempDir dir;
  write_scores_csv(dir.file("s.csv"), base, result, 1);
  return slurp(dir.file("s.csv"));
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// The scorer's scores equal a fresh score() of `rows` with the scorer's config: the scores CSV
// byte for byte, and the internal columns and fit counts the CSV does not show, bit for bit.
void expect_same_as_fresh(Scorer& scorer, const Rows& rows, const std::string& where) {
  const CustomerBase fresh_base = build(rows);
  const ScoreResult fresh = score(fresh_base, scorer.as_of(), scorer.config());
  const ScoreResult& live = scorer.scores();
  ASSERT_EQ(live.scores.size(), fresh.scores.size()) << where;
  EXPECT_EQ(live.scores.customer, fresh.scores.customer) << where;
  EXPECT_EQ(csv_of(scorer.base(), live), csv_of(fresh_base, fresh)) << where;
  EXPECT_TRUE(same_bits(live.scores.frequency, fresh.scores.frequency)) << where;
  EXPECT_TRUE(same_bits(live.scores.monetary, fresh.scores.monetary)) << where;
  EXPECT_TRUE(same_bits(live.scores.upserve_score, fresh.scores.upserve_score)) << where;
  EXPECT_TRUE(same_bits(live.scores.next_action_gap, fresh.scores.next_action_gap)) << where;
  EXPECT_EQ(live.bgnbd_customers, fresh.bgnbd_customers) << where;
  EXPECT_EQ(live.gamma_gamma_customers, fresh.gamma_gamma_customers) << where;
  EXPECT_EQ(live.bgnbd_error, fresh.bgnbd_error) << where;
  EXPECT_EQ(live.forest.depth_histogram, fresh.forest.depth_histogram) << where;
}

// A random stream over a generated base: 60 % of the customers and about half of the other rows
// start in the base; the rest arrive in random batches (a late customer always before its
// contacts and purchases; referrals to late customers may come first), with referral cycles
// among late customers and a few rows the rules reject.
struct Stream {
  Rows initial;
  std::vector<RowBatch> batches;
  std::vector<std::size_t> rejects;  // rows each batch must reject
};

Stream make_stream(std::size_t customers, std::uint64_t seed) {
  GenerateOptions g;
  g.customers = customers;
  g.seed = seed;
  const Rows all = rows_of(generate_base(g));
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution half(0.5);
  Stream s;
  const std::size_t early = all.customers.size() * 6 / 10;
  std::vector<bool> is_late(all.customers.size() + 1, false);
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t c = 0; c < all.customers.size(); ++c) index[all.customers[c].customer_id] = c;
  using Event = std::variant<CustomerRow, ContactEntry, PurchaseRow, ReferralRow>;
  std::vector<Event> events;
  for (std::size_t c = 0; c < all.customers.size(); ++c) {
    if (c < early) {
      s.initial.customers.push_back(all.customers[c]);
    } else {
      is_late[c] = true;
    }
  }
  const auto late = [&](const std::string& id) { return is_late[index.at(id)]; };
  for (const auto& x : all.contacts) {
    if (!late(x.customer_id) && half(rng))
      s.initial.contacts.push_back(x);
    else
      events.emplace_back(x);
  }
  for (const auto& x : all.purchases) {
    if (!late(x.customer_id) && half(rng))
      s.initial.purchases.push_back(x);
    else
      events.emplace_back(x);
  }
  for (const auto& x : all.referrals) {
    if (half(rng))
      s.initial.referrals.push_back(x);
    else
      events.emplace_back(x);
  }
  // cycles: pairs of late customers referring each other on their acquisition days (both convert)
  for (std::size_t c = early; c + 1 < all.customers.size(); c += 7) {
    const auto& a = all.customers[c];
    const auto& b = all.customers[c + 1];
    events.emplace_back(ReferralRow{a.customer_id, b.customer_id, midnight(b.acquired_on)});
    events.emplace_back(ReferralRow{b.customer_id, a.customer_id, midnight(a.acquired_on)});
  }
  std::shuffle(events.begin(), events.end(), rng);
  // late customers arrive just before their first event, or at a random place
  std::vector<bool> added(all.customers.size(), false);
  std::vector<Event> ordered;
  const auto arrive = [&](std::size_t c) {
    if (!is_late[c] || added[c]) return;
    added[c] = true;
    ordered.emplace_back(all.customers[c]);
  };
  for (auto& e : events) {
    if (const auto* x = std::get_if<ContactEntry>(&e)) arrive(index.at(x->customer_id));
    if (const auto* x = std::get_if<PurchaseRow>(&e)) arrive(index.at(x->customer_id));
    if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) arrive(early + rng() % (all.customers.size() - early));
    ordered.push_back(std::move(e));
  }
  for (std::size_t c = early; c < all.customers.size(); ++c) arrive(c);
  for (std::size_t at = 0; at < ordered.size();) {
    const std::size_t n = std::min<std::size_t>(ordered.size() - at, 1 + rng() % 60);
    RowBatch b;
    for (std::size_t k = at; k < at + n; ++k)
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, CustomerRow>) b.customers.push_back(x);
            if constexpr (std::is_same_v<T, ContactEntry>) b.contacts.push_back(x);
            if constexpr (std::is_same_v<T, PurchaseRow>) b.purchases.push_back(x);
            if constexpr (std::is_same_v<T, ReferralRow>) b.referrals.push_back(x);
          },
          ordered[k]);
    at += n;
    s.batches.push_back(std::move(b));
  }
  return s;
}

// Rows the rules reject: an empty customer key (never a customer), a negative amount, a
// self-referral, a duplicate key; and a contact of a customer not added yet, which is held.
RowBatch bad_rows(const std::string& known) {
  RowBatch b;
  b.customers.push_back({known, days_from_civil(2024, 1, 1), ""});
  b.contacts.push_back({"", ContactRow{}});
  b.contacts.push_back({"nobody", ContactRow{}});
  b.purchases.push_back({known, midnight(days_from_civil(2024, 1, 1)), -1.0});
  b.referrals.push_back({known, known, 0});
  return b;
}

void run_stream(std::size_t customers, std::uint64_t seed, const ScoringConfig& config) {
  const Stream s = make_stream(customers, seed);
  Rows rows = s.initial;
  GenerateOptions g;
  const day_t D = g.end_day;
  Scorer scorer(build(rows), D, config);
  expect_same_as_fresh(scorer, rows, "initial");
  for (std::size_t i = 0; i < s.batches.size(); ++i) {
    const LoadReport report = scorer.add(s.batches[i]);
    EXPECT_EQ(report.total_rejected(), 0u) << "batch " << i;
    append(rows, s.batches[i]);
    if (i % 3 == 0 || i + 1 == s.batches.size()) expect_same_as_fresh(scorer, rows, "batch " + std::to_string(i));
    EXPECT_LE(scorer.rescored(), scorer.scores().scores.size());
  }
  const LoadReport bad = scorer.add(bad_rows(rows.customers.front().customer_id));
  EXPECT_EQ(bad.customers.rejected, 1u);
  EXPECT_EQ(bad.contacts.rejected, 1u);
  EXPECT_EQ(bad.contacts.pending, 1u);  // "nobody" may still arrive
  EXPECT_EQ(scorer.report().contacts.pending, 1u);
  EXPECT_EQ(bad.purchases.rejected, 1u);
  EXPECT_EQ(bad.referrals.rejected, 1u);
  ASSERT_EQ(bad.rejects.size(), 4u);
  EXPECT_EQ(bad.rejects[0].reason, "duplicate customer_id (first row wins)");
  EXPECT_EQ(bad.rejects[1].file, "<contacts>");
  EXPECT_EQ(bad.rejects[1].line, 2u);
  EXPECT_EQ(scorer.rescored(), scorer.rescored());
  expect_same_as_fresh(scorer, rows, "after rejects");
  EXPECT_EQ(scorer.rescored(), 0u);  // rejected rows change nothing

  // refit: a fresh score with the config as given
  scorer.refit();
  const CustomerBase fresh_base = build(rows);
  const ScoreResult fresh = score(fresh_base, D, config);
  EXPECT_EQ(csv_of(scorer.base(), scorer.scores()), csv_of(fresh_base, fresh));
  EXPECT_EQ(scorer.config().bgnbd.has_value(), fresh.bgnbd_error.empty());

  // a moved as-of: a fresh score at that date with the parameters in force
  scorer.set_as_of(D - 200);
  expect_same_as_fresh(scorer, rows, "as-of moved");
}

}  // namespace

TEST(Scorer, RandomBatchesEqualFreshScoring) { run_stream(400, 7, {}); }

TEST(Scorer, RandomBatchesOtherSeedTwoThreads) {
  ScoringConfig config;
  config.threads = 2;
  run_stream(300, 12, config);
}

TEST(Scorer, GivenParametersAreKept) {
  ScoringConfig config;
  config.bgnbd = BgNbdParams{0.5, 20.0, 0.8, 3.0};
  config.gamma_gamma = GammaGammaParams{6.0, 4.0, 15.0};
  run_stream(250, 3, config);
}

// A pilot base too small to fit: every scores() retries the fit exactly as score() does.
TEST(Scorer, UnfittableModelsStayExact) { run_stream(8, 5, {}); }

// Three customers, no referrals:
//   a ── acquired 2024-01-01          b ── acquired 2024-01-01          c ── acquired 2024-06-01
// One contact of b rescored b only; a referral a → c on c's acquisition day makes a the parent
// of c: a's track record and chain reach change, so a is rescored — and c, whose inputs
// (its contacts, purchases, track record, katz) did not change, is not.
TEST(Scorer, RescoresOnlyWhatChanged) {
  Rows rows;
  rows.customers = {{"a", days_from_civil(2024, 1, 1), ""},
                    {"b", days_from_civil(2024, 1, 1), ""},
                    {"c", days_from_civil(2024, 6, 1), ""}};
  const day_t D = days_from_civil(2024, 12, 31);
  Scorer scorer(build(rows), D);
  EXPECT_EQ(scorer.rescored(), 3u);
  RowBatch contact;
  contact.contacts.push_back({"b", ContactRow{midnight(days_from_civil(2024, 12, 1)), Channel::phone, Stage::service,
                                              Initiator::business, Aspect::technical, 1, false, no_time}});
  scorer.add(contact);
  append(rows, contact);
  expect_same_as_fresh(scorer, rows, "contact");
  EXPECT_EQ(scorer.rescored(), 1u);
  RowBatch referral;
  referral.referrals.push_back({"a", "c", midnight(days_from_civil(2024, 6, 1))});
  scorer.add(referral);
  append(rows, referral);
  expect_same_as_fresh(scorer, rows, "referral");
  EXPECT_EQ(scorer.rescored(), 1u);
  EXPECT_EQ(scorer.scores().forest.converted_referrals[0], 1u);
  // a late customer: rescores itself only
  RowBatch late;
  late.customers.push_back({"d", days_from_civil(2024, 7, 1), "vip"});
  scorer.add(late);
  append(rows, late);
  expect_same_as_fresh(scorer, rows, "late customer");
  EXPECT_EQ(scorer.rescored(), 1u);
  EXPECT_THROW(scorer.explain(std::string_view("nobody")), rapport::NotFoundError);
  EXPECT_NE(scorer.explain(std::string_view("d")).find("\"customer_id\":\"d\""), std::string::npos);
}

// add() from one thread while another calls scores(): serialised, and the end state exact.
TEST(Scorer, ConcurrentAddAndScores) {
  const Stream s = make_stream(200, 13);
  Rows rows = s.initial;
  Scorer scorer(build(rows), GenerateOptions{}.end_day);
  std::thread reader([&] {
    for (int i = 0; i < 20; ++i) EXPECT_GT(scorer.summary().customers_scored, 0u);
  });
  for (const auto& b : s.batches) {
    scorer.add(b);
    append(rows, b);
  }
  reader.join();
  expect_same_as_fresh(scorer, rows, "concurrent");
}

// ---------------------------------------------------------------- rows in any order (issue 21 item 11)

namespace {

// A full run of `rows` as a source delivers them (customers first, then each table in row order),
// with the load report a loader would give: a contact or purchase of an unknown customer rejected.
struct FullRun {
  CustomerBase base;
  LoadReport report;
};

FullRun full_run(const Rows& r) {
  CustomerBaseBuilder b;
  FullRun out;
  const auto count = [&](TableCounts& t, const char* table, const std::string& why) {
    ++t.read;
    if (why.empty()) return;
    ++t.rejected;
    out.report.rejects.push_back(RejectedRow{table, "", 0, 0, "", why, ""});
  };
  for (const auto& x : r.customers)
    count(out.report.customers, "customers", b.add_customer(x.customer_id, x.acquired_on, x.segment));
  for (const auto& x : r.contacts) count(out.report.contacts, "contacts", b.add_contact(x.customer_id, x.row));
  for (const auto& x : r.purchases)
    count(out.report.purchases, "purchases", b.add_purchase(x.customer_id, x.at, x.amount));
  for (const auto& x : r.referrals)
    count(out.report.referrals, "referrals", b.add_referral(x.referrer_id, x.referred_id, x.at));
  out.base = b.finish();
  return out;
}

// scores() and summary() of the scorer equal a full run of `rows` (in the order they were added)
// value for value; rows still held are the full run's rejected unknown-customer rows.
void expect_same_as_full_run(Scorer& scorer, const Rows& rows, const std::string& where) {
  const FullRun full = full_run(rows);
  const ScoreResult fresh = score(full.base, scorer.as_of(), scorer.config());
  const ScoreResult& live = scorer.scores();
  ASSERT_EQ(live.scores.size(), fresh.scores.size()) << where;
  EXPECT_EQ(live.scores.customer, fresh.scores.customer) << where;
  EXPECT_EQ(csv_of(scorer.base(), live), csv_of(full.base, fresh)) << where;
  EXPECT_TRUE(same_bits(live.scores.upserve_score, fresh.scores.upserve_score)) << where;
  EXPECT_TRUE(same_bits(live.scores.monetary, fresh.scores.monetary)) << where;
  const LoadReport held = scorer.report();
  EXPECT_EQ(held.contacts.pending, full.report.contacts.rejected) << where;
  EXPECT_EQ(held.purchases.pending, full.report.purchases.rejected) << where;
  Summary expected = summarize(full.base, full.report, fresh, scorer.config());
  expected.live = true;
  expected.contacts_rows.pending = full.report.contacts.rejected;
  expected.purchases_rows.pending = full.report.purchases.rejected;
  // the models' figures as the scorer has them (fitted when it was built; the full run is given
  // the parameters), everything else as the full run counts it
  const Summary live_summary = scorer.summary();
  expected.bgnbd = live_summary.bgnbd;
  expected.gamma_gamma = live_summary.gamma_gamma;
  EXPECT_TRUE(to_json(live_summary) == to_json(expected)) << where;
}

// The load report of a base built from `rows` (every row accepted).
LoadReport counts_of(const Rows& rows) {
  LoadReport counts;
  counts.customers.read = rows.customers.size();
  counts.contacts.read = rows.contacts.size();
  counts.purchases.read = rows.purchases.size();
  counts.referrals.read = rows.referrals.size();
  return counts;
}

using Event = std::variant<CustomerRow, ContactEntry, PurchaseRow, ReferralRow>;

std::vector<Event> events_of(const Rows& r) {
  std::vector<Event> e;
  for (const auto& x : r.customers) e.emplace_back(x);
  for (const auto& x : r.contacts) e.emplace_back(x);
  for (const auto& x : r.purchases) e.emplace_back(x);
  for (const auto& x : r.referrals) e.emplace_back(x);
  return e;
}

void add_event(RowBatch& b, const Event& e) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, CustomerRow>) b.customers.push_back(x);
        if constexpr (std::is_same_v<T, ContactEntry>) b.contacts.push_back(x);
        if constexpr (std::is_same_v<T, PurchaseRow>) b.purchases.push_back(x);
        if constexpr (std::is_same_v<T, ReferralRow>) b.referrals.push_back(x);
      },
      e);
}

// One permutation: a random share of a generated base's rows (0 % to 40 %, in random order) is
// the starting base, the others arrive in random order in random batches of 1..`max_batch`;
// after every batch the scorer equals a full run of every row added so far.
void run_permutation(const Rows& all, std::uint64_t seed, std::size_t max_batch, const ScoringConfig& config) {
  std::mt19937_64 rng(seed);
  std::vector<Event> events = events_of(all);
  std::shuffle(events.begin(), events.end(), rng);
  const std::size_t start = events.size() * (rng() % 41) / 100;
  // the starting base: the start's customers and the rows of theirs; the start's rows of later
  // customers go in as the first batch (and are held)
  std::set<std::string> known;
  Rows rows;
  RowBatch later;
  for (std::size_t k = 0; k < start; ++k)
    if (const auto* x = std::get_if<CustomerRow>(&events[k])) known.insert(x->customer_id);
  for (std::size_t k = 0; k < start; ++k) {
    const auto* c = std::get_if<ContactEntry>(&events[k]);
    const auto* p = std::get_if<PurchaseRow>(&events[k]);
    if ((c && !known.count(c->customer_id)) || (p && !known.count(p->customer_id))) {
      add_event(later, events[k]);
    } else {
      RowBatch one;
      add_event(one, events[k]);
      append(rows, one);
    }
  }
  const day_t D = GenerateOptions{}.end_day;
  Scorer scorer(build(rows), D, config, counts_of(rows));
  const LoadReport first = scorer.add(later);
  EXPECT_EQ(first.total_rejected(), 0u);
  EXPECT_EQ(first.contacts.pending, later.contacts.size());
  append(rows, later);
  std::size_t batches = 0;
  for (std::size_t at = start; at < events.size(); ++batches) {
    const std::size_t n = std::min<std::size_t>(events.size() - at, 1 + rng() % max_batch);
    RowBatch b;
    for (std::size_t k = at; k < at + n; ++k) add_event(b, events[k]);
    at += n;
    const LoadReport report = scorer.add(b);
    EXPECT_EQ(report.total_rejected(), 0u);
    append(rows, b);
    if (batches % 4 == 0 || at == events.size())
      expect_same_as_full_run(scorer, rows, "seed " + std::to_string(seed) + " batch " + std::to_string(batches));
  }
  // every customer arrived: nothing is held, and the base has every row
  EXPECT_EQ(scorer.report().contacts.pending + scorer.report().purchases.pending, 0u);
  EXPECT_EQ(scorer.base().contact_count(), all.contacts.size());
  EXPECT_EQ(scorer.base().purchase_count(), all.purchases.size());
}

}  // namespace

// Many random permutations of a generated base's rows, in random batches: scores() and
// summary() equal a full run of the rows added so far after every few batches, value for value.
TEST(Scorer, item11_RowsInAnyOrderEqualAFullRun) {
  GenerateOptions g;
  g.customers = 120;
  g.seed = 21;
  const Rows all = rows_of(generate_base(g));
  ASSERT_GT(all.contacts.size(), 500u);
  ASSERT_GT(all.referrals.size(), 5u);
  for (std::uint64_t seed = 1; seed <= 10; ++seed) run_permutation(all, seed, seed % 3 == 0 ? 25 : 200, {});
}

// The same with fixed value-model parameters and two threads (the incremental rank path).
TEST(Scorer, item11_RowsInAnyOrderGivenParametersTwoThreads) {
  GenerateOptions g;
  g.customers = 200;
  g.seed = 11;
  const Rows all = rows_of(generate_base(g));
  ScoringConfig config;
  config.threads = 2;
  config.bgnbd = BgNbdParams{0.5, 20.0, 0.8, 3.0};
  config.gamma_gamma = GammaGammaParams{6.0, 4.0, 15.0};
  for (std::uint64_t seed = 100; seed < 106; ++seed) run_permutation(all, seed, 80, config);
}

// Held rows are bounded: with max_pending_rows = 2 the third row of unknown customers is
// rejected with its reason (strict: an error), the held two are applied when "x" arrives.
//   batch 1: contact x, purchase x           -> 2 held
//   batch 2: contact y                       -> rejected (bound), pending stays 2
//   batch 3: customer x                      -> both applied, 0 held
TEST(Scorer, item11_PendingRowsAreBounded) {
  Rows rows;
  rows.customers = {{"a", days_from_civil(2024, 1, 1), ""}};
  const day_t D = days_from_civil(2024, 12, 31);
  ScorerOptions options;
  options.max_pending_rows = 2;
  Scorer scorer(build(rows), D, {}, {}, options);
  const ContactRow contact{midnight(days_from_civil(2024, 3, 1)),
                           Channel::phone,
                           Stage::service,
                           Initiator::business,
                           Aspect::technical,
                           1,
                           false,
                           no_time};
  RowBatch b1;
  b1.contacts.push_back({"x", contact});
  b1.purchases.push_back({"x", midnight(days_from_civil(2024, 3, 2)), 40.0});
  const LoadReport r1 = scorer.add(b1);
  EXPECT_EQ(r1.contacts.pending, 1u);
  EXPECT_EQ(r1.purchases.pending, 1u);
  EXPECT_EQ(r1.total_rejected(), 0u);
  RowBatch b2;
  b2.contacts.push_back({"y", contact});
  const LoadReport r2 = scorer.add(b2);
  ASSERT_EQ(r2.rejects.size(), 1u);
  EXPECT_EQ(r2.rejects[0].reason, "unknown customer (not held: max_pending_rows reached)");
  EXPECT_EQ(r2.rejects[0].column_name, "customer_id");
  EXPECT_EQ(r2.contacts.pending, 0u);
  LoadOptions strict;
  strict.strict = true;
  EXPECT_THROW(scorer.add(b2, strict), InputError);
  // the summary counts the held rows as a full run would: rejected unknown customers
  const Summary s = scorer.summary();
  EXPECT_EQ(s.contacts_rows.read, 3u);      // x, y, y again
  EXPECT_EQ(s.contacts_rows.rejected, 3u);  // y twice (bound) + x held
  EXPECT_EQ(s.contacts_rows.pending, 1u);
  EXPECT_EQ(s.purchases_rows.pending, 1u);
  EXPECT_EQ(s.rejected_by_reason.at("contacts: unknown customer"), 1u);
  EXPECT_NE(to_json(s).find("\"pending\": 1"), std::string::npos);
  RowBatch b3;
  b3.customers.push_back({"x", days_from_civil(2024, 2, 1), ""});
  scorer.add(b3);
  EXPECT_EQ(scorer.report().contacts.pending, 0u);
  EXPECT_EQ(scorer.report().purchases.pending, 0u);
  rows.customers.push_back(b3.customers[0]);
  rows.contacts.push_back(b1.contacts[0]);
  rows.purchases.push_back(b1.purchases[0]);
  expect_same_as_fresh(scorer, rows, "x arrived");
  EXPECT_EQ(scorer.rescored(), 1u);
  // 0 holds nothing: an unknown customer is rejected at once, as before
  ScorerOptions none;
  none.max_pending_rows = 0;
  Scorer plain(build(rows), D, {}, {}, none);
  const LoadReport r4 = plain.add(b2);
  ASSERT_EQ(r4.rejects.size(), 1u);
  EXPECT_EQ(r4.rejects[0].reason, "unknown customer");
}

TEST(Scorer, OptionsAreValidatedLikeSettings) {
  EXPECT_EQ(scorer_options_from_json("{\"max_pending_rows\": 7}").max_pending_rows, 7u);
  const auto message = [](const std::string& json) {
    try {
      scorer_options_from_json(json);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("{\"max_pending_rows\": -1}"),
            "config: scorer.max_pending_rows must be an integer in [0, 4294967295] (got -1)");
  EXPECT_EQ(message("{\"max_pending_rows\": 1.5}"),
            "config: scorer.max_pending_rows must be an integer in [0, 4294967295] (got 1.5)");
  EXPECT_EQ(message("{\"max_pending\": 1}"), "config: scorer.max_pending is not a setting");
  ScorerOptions big;
  big.max_pending_rows = 4294967296u;
  EXPECT_THROW(Scorer(CustomerBase{}, days_from_civil(2024, 1, 1), {}, {}, big), ConfigError);
}

// ---------------------------------------------------------------- changes only (issue 23 item 4)

// The three customers of RescoresOnlyWhatChanged (rows 0, 1, 2 = a, b, c), with given model
// parameters (too few customers to fit: an unfitted model is refitted over every row each time):
// changes() lists the rows rescored since the last call — all at first, then b for b's contact,
// a for the referral a -> c, the new customer d (row 3), and every row after refit().
TEST(Scorer, ChangesListOnlyTheRowsRescoredSinceTheLastCall) {
  Rows rows;
  rows.customers = {{"a", days_from_civil(2024, 1, 1), ""},
                    {"b", days_from_civil(2024, 1, 1), ""},
                    {"c", days_from_civil(2024, 6, 1), ""}};
  ScoringConfig config;
  config.bgnbd = BgNbdParams{0.5, 20.0, 0.8, 3.0};
  config.gamma_gamma = GammaGammaParams{6.0, 4.0, 15.0};
  Scorer scorer(build(rows), days_from_civil(2024, 12, 31), config);
  using V = std::vector<std::uint32_t>;
  EXPECT_EQ(scorer.changes(), (V{0, 1, 2}));
  EXPECT_EQ(scorer.changes(), V{});
  RowBatch contact;
  contact.contacts.push_back({"b", ContactRow{midnight(days_from_civil(2024, 12, 1)), Channel::phone, Stage::service,
                                              Initiator::business, Aspect::technical, 1, false, no_time}});
  scorer.add(contact);
  EXPECT_EQ(scorer.changes(), V{1});
  RowBatch referral;
  referral.referrals.push_back({"a", "c", midnight(days_from_civil(2024, 6, 1))});
  scorer.add(referral);
  scorer.scores();  // applied by one call, reported by the next changes()
  RowBatch late;
  late.customers.push_back({"d", days_from_civil(2024, 7, 1), ""});
  scorer.add(late);
  EXPECT_EQ(scorer.changes(), (V{0, 3}));
  // a failed consumer keeps the set
  scorer.add(contact);
  EXPECT_THROW(scorer.with_changes([](const CustomerBase&, const ScoreResult&, const V&) { throw OutputError("x"); }),
               OutputError);
  scorer.with_changes([&](const CustomerBase& base, const ScoreResult& result, const V& changed) {
    ASSERT_EQ(changed, V{1});
    EXPECT_EQ(base.customer_id[result.scores.customer[changed[0]]], "b");
  });
  EXPECT_EQ(scorer.changes(), V{});
  scorer.refit();
  EXPECT_EQ(scorer.changes(), (V{0, 1, 2, 3}));
}

// ---------------------------------------------------------------- races (issue 21 item 12)

// Two threads add batches (in an order the test records) while two others call scores(),
// summary(), changes() and explain(): the calls are serialised (ThreadSanitizer runs this) and
// the end state equals a full run of the rows in the order they went in.
TEST(Scorer, ConcurrentAddScoresSummaryAndChangesFromSeveralThreads) {
  const Stream s = make_stream(150, 17);
  Rows rows = s.initial;
  ScoringConfig config;
  config.threads = 2;
  Scorer scorer(build(rows), GenerateOptions{}.end_day, config, counts_of(rows));
  std::mutex order;
  std::size_t next = 0;
  std::atomic<bool> done{false};
  const auto adder = [&] {
    for (;;) {
      std::lock_guard lock(order);
      if (next == s.batches.size()) return;
      scorer.add(s.batches[next]);
      append(rows, s.batches[next++]);
    }
  };
  std::atomic<std::size_t> changed{0};
  const auto reader = [&](int kind) {
    do {  // at least once
      if (kind == 0) {
        scorer.with_scores(
            [](const CustomerBase& b, const ScoreResult& r) { EXPECT_LE(r.scores.size(), b.customer_count()); });
        changed += scorer.changes().size();
      } else {
        EXPECT_GT(scorer.summary().customers_scored, 0u);
        EXPECT_FALSE(scorer.explain(std::size_t{0}).empty());
      }
    } while (!done.load());
  };
  std::thread r0(reader, 0), r1(reader, 1), a0(adder), a1(adder);
  a0.join();
  a1.join();
  done = true;
  r0.join();
  r1.join();
  EXPECT_GT(changed.load(), 0u);
  expect_same_as_full_run(scorer, rows, "concurrent");
}
