#include <rapport/scoring/scorer.hpp>

#include <rapport/scoring/explain.hpp>

#include "base/id_index.hpp"
#include "base/rows.hpp"
#include "scoring/ranks.hpp"
#include "scoring/score_steps.hpp"
#include "scoring/scorer_rows.hpp"
#include "util/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace rapport {

namespace {

constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

// Calls f(a_col, b_col) for every column of two Scores, in one place.
template <class A, class B, class F>
void for_each_column(A& a, B& b, F&& f) {
  f(a.customer, b.customer);
  f(a.loyalty_given, b.loyalty_given);
  for (std::size_t k = 0; k < a.loyalty.values.size(); ++k) f(a.loyalty.values[k], b.loyalty.values[k]);
  for (std::size_t k = 0; k < a.loyalty_evidence.values.size(); ++k)
    f(a.loyalty_evidence.values[k], b.loyalty_evidence.values[k]);
  f(a.ladder_technical, b.ladder_technical);
  f(a.ladder_hospitality, b.ladder_hospitality);
  f(a.ladder_wow, b.ladder_wow);
  f(a.overdue_complaint, b.overdue_complaint);
  f(a.frequency, b.frequency);
  f(a.recency, b.recency);
  f(a.age, b.age);
  f(a.monetary, b.monetary);
  f(a.p_alive, b.p_alive);
  f(a.expected_purchases, b.expected_purchases);
  f(a.expected_value, b.expected_value);
  f(a.upserve_value, b.upserve_value);
  f(a.upserve_score, b.upserve_score);
  f(a.next_action, b.next_action);
  f(a.next_action_gap, b.next_action_gap);
  f(a.referral_potential, b.referral_potential);
  for (std::size_t k = 0; k < a.referral.values.size(); ++k) f(a.referral.values[k], b.referral.values[k]);
  f(a.purchases_counted, b.purchases_counted);
  f(a.ask_for_referral, b.ask_for_referral);
}

// Calls f(a_col, b_col) for the six interval columns (empty unless the config asks for intervals).
template <class A, class B, class F>
void for_each_interval_column(A& a, B& b, F&& f) {
  f(a.p_alive_lo, b.p_alive_lo);
  f(a.p_alive_hi, b.p_alive_hi);
  f(a.expected_purchases_lo, b.expected_purchases_lo);
  f(a.expected_purchases_hi, b.expected_purchases_hi);
  f(a.expected_value_lo, b.expected_value_lo);
  f(a.expected_value_hi, b.expected_value_hi);
}

// Same bits (NaN equal to NaN): whether a customer's referral inputs changed.
bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Inserts rows queued per owner into one CSR column, in place from the back: `adds` holds
// (owner, queue index) sorted by owner (stable), `value(i)` the queued value. O(column) moves.
template <class T, class Value>
void merge_into_column(std::vector<T>& col, const std::vector<std::uint64_t>& offsets,
                       const std::vector<std::pair<std::uint32_t, std::size_t>>& adds, Value&& value) {
  if (adds.empty()) return;
  std::size_t read_end = col.size();
  col.resize(col.size() + adds.size());
  std::size_t write = col.size();
  for (std::size_t hi = adds.size(); hi > 0;) {
    const std::uint32_t c = adds[hi - 1].first;
    std::size_t lo = hi;
    while (lo > 0 && adds[lo - 1].first == c) --lo;
    const auto tail = static_cast<std::size_t>(offsets[c + 1]);
    std::move_backward(col.begin() + static_cast<std::ptrdiff_t>(tail),
                       col.begin() + static_cast<std::ptrdiff_t>(read_end),
                       col.begin() + static_cast<std::ptrdiff_t>(write));
    write -= read_end - tail;
    read_end = tail;
    write -= hi - lo;
    for (std::size_t j = lo; j < hi; ++j) col[write + j - lo] = value(adds[j].second);
    hi = lo;
  }
}

// The offsets after merge_into_column: each customer's range grows by its queued rows.
void shift_offsets(std::vector<std::uint64_t>& offsets,
                   const std::vector<std::pair<std::uint32_t, std::size_t>>& adds) {
  if (adds.empty()) return;
  std::uint64_t shift = 0;
  std::size_t j = 0;
  for (std::size_t c = adds.front().first; c + 1 < offsets.size(); ++c) {
    while (j < adds.size() && adds[j].first == c) {
      ++shift;
      ++j;
    }
    offsets[c + 1] += shift;
  }
}

// (owner, queue index) of queued rows, sorted by owner, input order within an owner.
std::vector<std::pair<std::uint32_t, std::size_t>> by_owner(const std::vector<std::uint32_t>& owners) {
  std::vector<std::pair<std::uint32_t, std::size_t>> adds(owners.size());
  for (std::size_t i = 0; i < owners.size(); ++i) adds[i] = {owners[i], i};
  std::sort(adds.begin(), adds.end());
  return adds;
}

// Adds a batch's load report to the running one.
void accumulate(LoadReport& total, const LoadReport& batch) {
  for (auto [t, b] : {std::pair{&total.customers, &batch.customers}, std::pair{&total.contacts, &batch.contacts},
                      std::pair{&total.purchases, &batch.purchases}, std::pair{&total.referrals, &batch.referrals}}) {
    t->read += b->read;
    t->rejected += b->rejected;
  }
  total.rejects.insert(total.rejects.end(), batch.rejects.begin(), batch.rejects.end());
  total.rejects_not_kept += batch.rejects_not_kept;
}

}  // namespace

struct Scorer::Impl {
  // ---- state
  mutable std::mutex mutex;
  CustomerBase base;
  LoadReport report;
  ScoringConfig given;   // the config as given (parameters only where the caller gave them)
  ScoringConfig config;  // in force: given + the parameters of the models in use
  day_t as_of = 0;
  ScoreResult result;
  // the intervals' parameter draws (step a), made whenever the models are fitted and kept with
  // their parameters: a batch evaluates its rows under them (step b)
  detail::IntervalDraws draws;
  std::size_t rescored = 0;
  unsigned threads = 1;
  ScorerOptions options;

  std::shared_ptr<detail::IdIndex> keys;  // customer key -> index (base.index_ shares it)
  std::unordered_map<std::string, std::uint32_t> segments;
  // referral endpoints as people: every id named in a referral, first-seen order
  std::vector<std::string> people;
  detail::IdIndex people_index;
  std::vector<std::uint32_t> people_customer;  // person -> customer index, or none
  std::vector<std::uint32_t> referral_from_person, referral_to_person;

  std::vector<std::uint32_t> row_of;                     // customer -> row of result.scores, or none
  std::vector<std::pair<double, std::uint32_t>> ranked;  // (upserve_value, row), ascending
  bool ranked_valid = false;

  // ---- rows queued by add(), applied by apply_queue()
  std::size_t applied_customers = 0;  // customers the scores know
  std::vector<std::uint32_t> contact_owner;
  std::vector<ContactRow> contacts;
  std::vector<std::uint32_t> purchase_owner;
  std::vector<std::pair<seconds_t, double>> purchases;
  bool referrals_changed = false;

  // ---- rows held for customers not added yet (by key, in add order), applied when they arrive
  struct Held {
    bool contact = true;
    ContactRow row;    // a contact
    seconds_t at = 0;  // a purchase
    double amount = 0;
  };
  std::unordered_map<std::string, std::vector<Held>> held;
  std::size_t held_contacts = 0, held_purchases = 0;              // held now
  std::size_t batch_held_contacts = 0, batch_held_purchases = 0;  // held by the batch being added

  // ---- the change set: rows of result.scores rescored since the last changes()
  bool all_changed = true;            // every row (construction, refit, set_as_of, a refit of models)
  std::vector<std::uint8_t> changed;  // per row, when !all_changed
  std::vector<std::uint32_t> changed_rows;

  // ---- construction and full runs
  void index_base();
  void full_rescore(const ScoringConfig& run_config);
  void rebuild_ranks();
  void rank_all();
  void intervals_after_fit(bool fitted);

  // ---- intake (the row rules of rows.hpp)
  bool add_customer(std::string_view id, day_t acquired_on, std::string_view segment, day_t ended_on,
                    const detail::RowError* failure, detail::RowError& e);
  bool add_contact(std::string_view id, const ContactRow& row, const detail::RowError* failure, detail::RowError& e);
  bool add_purchase(std::string_view id, seconds_t at, double amount, const detail::RowError* failure,
                    detail::RowError& e);
  bool add_referral(std::string_view referrer, std::string_view referred, seconds_t at, const detail::RowError* failure,
                    detail::RowError& e);
  std::uint32_t person_of(std::string_view id);
  bool hold(std::string_view id, const Held& row, std::size_t field, detail::RowError& e);
  void release_held(std::string_view id, std::uint32_t c);
  LoadReport running_report() const;
  std::vector<std::uint32_t> take_changes();
  std::optional<std::uint32_t> customer(std::string_view id) const { return keys->find(base.customer_id, id); }

  // ---- incremental rescoring
  bool pending() const {
    return applied_customers != base.customer_count() || !contact_owner.empty() || !purchase_owner.empty() ||
           referrals_changed;
  }
  void apply_queue();
  // scores() and with_scores(): apply the queue; rescored = 0 when nothing was queued
  void refresh() {
    if (!pending()) rescored = 0;
    apply_queue();
  }
  std::vector<std::uint32_t> merge_events();
  void map_referrals();
  void rescore(std::vector<std::uint32_t> dirty, bool forest_changed);
  void update_ranks(std::vector<std::pair<double, std::uint32_t>> removed,
                    std::vector<std::pair<double, std::uint32_t>> inserted);
  void refit_unavailable_models();
};

// ---------------------------------------------------------------- construction, full runs

void Scorer::Impl::index_base() {
  keys = std::make_shared<detail::IdIndex>();
  for (std::uint32_t c = 0; c < base.customer_count(); ++c) keys->insert(base.customer_id, c);
  base.index_ = keys;
  for (std::uint32_t s = 0; s < base.segment_names.size(); ++s) segments.emplace(base.segment_names[s], s);
  referral_from_person.reserve(base.referral_count());
  referral_to_person.reserve(base.referral_count());
  for (std::size_t k = 0; k < base.referral_count(); ++k) {
    referral_from_person.push_back(person_of(base.person(base.referral_from[k])));
    referral_to_person.push_back(person_of(base.person(base.referral_to[k])));
  }
  applied_customers = base.customer_count();
}

// Scores everything with score() (the one scoring path) and rebuilds the incremental state.
void Scorer::Impl::full_rescore(const ScoringConfig& run_config) {
  ScoringConfig plain = run_config;
  plain.intervals = 0;  // the draws are the Scorer's (intervals_after_fit), not a run's
  result = score(base, as_of, plain);
  config = given;
  detail::keep_model_params(result, config);
  intervals_after_fit(result.bgnbd_fitted || result.gamma_gamma_fitted);
  row_of.assign(base.customer_count(), none);
  for (std::size_t r = 0; r < result.scores.size(); ++r)
    row_of[result.scores.customer[r]] = static_cast<std::uint32_t>(r);
  rescored = result.scores.size();
  all_changed = true;
  ranked_valid = false;
  rebuild_ranks();
}

// The interval columns of every row: new draws from the whole base when this run fitted a model
// (construction, refit(), a model that could not be fitted before), else the kept ones.
void Scorer::Impl::intervals_after_fit(bool fitted) {
  if (!(given.intervals > 0)) return;
  if (fitted) draws = detail::draw_run_intervals(base, result, given, threads);
  detail::fill_interval_columns(base, config, draws, threads, result);
}

void Scorer::Impl::rebuild_ranks() {
  const auto& v = result.scores.upserve_value;
  ranked_valid = result.value_known() && std::none_of(v.begin(), v.end(), [](double x) { return std::isnan(x); });
  ranked.clear();
  if (!ranked_valid) return;
  ranked = detail::sort_with_rows(v, threads);
}

// Every row's rank from scratch: one sort of the (value, row) pairs, which the next batch then
// updates; rank_upserve (NaN ranks) where value at stake is unknown.
void Scorer::Impl::rank_all() {
  rebuild_ranks();
  if (ranked_valid)
    detail::mid_ranks(ranked, result.scores.upserve_score, threads);
  else
    detail::rank_upserve(threads, result.value_known(), result.scores);
}

// ---------------------------------------------------------------- intake

std::uint32_t Scorer::Impl::person_of(std::string_view id) {
  if (const auto p = people_index.find(people, id)) return *p;
  people.emplace_back(id);
  const auto p = static_cast<std::uint32_t>(people.size() - 1);
  people_index.insert(people, p);
  people_customer.push_back(customer(id).value_or(none));
  return p;
}

bool Scorer::Impl::add_customer(std::string_view id, day_t acquired_on, std::string_view segment, day_t ended_on,
                                const detail::RowError* failure, detail::RowError& e) {
  if (!detail::check_customer(id, acquired_on, ended_on, failure, e)) return false;
  if (customer(id)) {
    e = detail::RowError{detail::customer_field::customer_id, 0, detail::duplicate_customer_reason};
    return false;
  }
  if (base.customer_count() >= none / 2) throw InputError("too many customers");
  const auto c = static_cast<std::uint32_t>(base.customer_count());
  base.customer_id.emplace_back(id);
  if (keys.use_count() > 2) {  // a copy of the base shares the index (base.index_ is the 2nd owner)
    keys = std::make_shared<detail::IdIndex>(*keys);
    base.index_ = keys;
  }
  keys->insert(base.customer_id, c);
  if (const auto p = people_index.find(people, id)) people_customer[*p] = c;  // a prospect no longer
  base.acquired_on.push_back(acquired_on);
  const auto [it, inserted] =
      segments.try_emplace(std::string(segment), static_cast<std::uint32_t>(base.segment_names.size()));
  if (inserted) base.segment_names.emplace_back(segment);
  base.segment.push_back(it->second);
  detail::push_ended(base, ended_on);
  base.contact_offsets.push_back(base.contact_offsets.back());
  base.complaint_offsets.push_back(base.complaint_offsets.back());
  base.purchase_offsets.push_back(base.purchase_offsets.back());
  release_held(id, c);
  return true;
}

// Holds a row of a customer not added yet (its other rules already passed); false with `e` when
// the key can never name a customer or the bound is reached.
bool Scorer::Impl::hold(std::string_view id, const Held& row, std::size_t field, detail::RowError& e) {
  if (id.empty() || options.max_pending_rows == 0) {
    e = detail::RowError{field, 0, "unknown customer"};
    return false;
  }
  if (held_contacts + held_purchases >= options.max_pending_rows) {
    e = detail::RowError{field, 0, "unknown customer (not held: max_pending_rows reached)"};
    return false;
  }
  held[std::string(id)].push_back(row);
  ++(row.contact ? held_contacts : held_purchases);
  ++(row.contact ? batch_held_contacts : batch_held_purchases);
  return true;
}

// A customer arrived: its held rows join the queue, in the order they were added.
void Scorer::Impl::release_held(std::string_view id, std::uint32_t c) {
  if (held.empty()) return;
  const auto it = held.find(std::string(id));
  if (it == held.end()) return;
  for (const Held& h : it->second) {
    if (h.contact) {
      contact_owner.push_back(c);
      contacts.push_back(h.row);
      --held_contacts;
    } else {
      purchase_owner.push_back(c);
      purchases.emplace_back(h.at, h.amount);
      --held_purchases;
    }
  }
  held.erase(it);
}

LoadReport Scorer::Impl::running_report() const {
  LoadReport r = report;
  r.contacts.pending = held_contacts;
  r.purchases.pending = held_purchases;
  return r;
}

// The change set as rows, ascending; starts a new one.
std::vector<std::uint32_t> Scorer::Impl::take_changes() {
  std::vector<std::uint32_t> rows;
  if (all_changed) {
    rows.resize(result.scores.size());
    for (std::size_t r = 0; r < rows.size(); ++r) rows[r] = static_cast<std::uint32_t>(r);
  } else {
    rows = changed_rows;
    std::sort(rows.begin(), rows.end());
  }
  return rows;
}

bool Scorer::Impl::add_contact(std::string_view id, const ContactRow& row, const detail::RowError* failure,
                               detail::RowError& e) {
  const auto c = customer(id);
  if (!detail::check_contact(true, row, failure, e)) return false;
  if (!c) return hold(id, Held{true, row, 0, 0}, detail::contact_field::customer_id, e);
  contact_owner.push_back(*c);
  contacts.push_back(row);
  return true;
}

bool Scorer::Impl::add_purchase(std::string_view id, seconds_t at, double amount, const detail::RowError* failure,
                                detail::RowError& e) {
  const auto c = customer(id);
  if (!detail::check_purchase(true, at, amount, failure, e)) return false;
  if (!c) return hold(id, Held{false, {}, at, amount}, detail::purchase_field::customer_id, e);
  purchase_owner.push_back(*c);
  purchases.emplace_back(at, amount);
  return true;
}

bool Scorer::Impl::add_referral(std::string_view referrer, std::string_view referred, seconds_t at,
                                const detail::RowError* failure, detail::RowError& e) {
  if (!detail::check_referral(referrer, referred, at, failure, e)) return false;
  referral_from_person.push_back(person_of(referrer));
  referral_to_person.push_back(person_of(referred));
  base.referral_at.push_back(at);
  referrals_changed = true;
  return true;
}

// ---------------------------------------------------------------- applying the queue

// Moves the queued contacts and purchases into the grouped columns; returns their owners.
std::vector<std::uint32_t> Scorer::Impl::merge_events() {
  std::vector<std::uint32_t> touched;
  auto& b = base;
  if (!contact_owner.empty()) {
    const auto adds = by_owner(contact_owner);
    std::vector<std::pair<std::uint32_t, std::size_t>> complaint_adds;
    for (const auto& a : adds)
      if (contacts[a.second].complaint) complaint_adds.push_back(a);
    merge_into_column(b.contact_at, b.contact_offsets, adds, [&](std::size_t i) { return contacts[i].at; });
    merge_into_column(b.contact_channel, b.contact_offsets, adds, [&](std::size_t i) { return contacts[i].channel; });
    merge_into_column(b.contact_stage, b.contact_offsets, adds, [&](std::size_t i) { return contacts[i].stage; });
    merge_into_column(b.contact_initiator, b.contact_offsets, adds,
                      [&](std::size_t i) { return contacts[i].initiator; });
    merge_into_column(b.contact_aspect, b.contact_offsets, adds, [&](std::size_t i) { return contacts[i].aspect; });
    merge_into_column(b.contact_impression, b.contact_offsets, adds,
                      [&](std::size_t i) { return static_cast<std::int8_t>(contacts[i].impression); });
    merge_into_column(b.contact_complaint, b.contact_offsets, adds,
                      [&](std::size_t i) { return static_cast<std::uint8_t>(contacts[i].complaint ? 1 : 0); });
    merge_into_column(b.complaint_resolved_at, b.complaint_offsets, complaint_adds,
                      [&](std::size_t i) { return contacts[i].resolved_at; });
    shift_offsets(b.contact_offsets, adds);
    shift_offsets(b.complaint_offsets, complaint_adds);
    for (const auto& a : adds) touched.push_back(a.first);
    contact_owner.clear();
    contacts.clear();
  }
  if (!purchase_owner.empty()) {
    const auto adds = by_owner(purchase_owner);
    merge_into_column(b.purchase_at, b.purchase_offsets, adds, [&](std::size_t i) { return purchases[i].first; });
    merge_into_column(b.purchase_amount, b.purchase_offsets, adds, [&](std::size_t i) { return purchases[i].second; });
    shift_offsets(b.purchase_offsets, adds);
    for (const auto& a : adds) touched.push_back(a.first);
    purchase_owner.clear();
    purchases.clear();
  }
  return touched;
}

// The referral graph's person indexes as a fresh load of every row would give them: customers
// first, then everyone else in order of first appearance (referrer before referred).
void Scorer::Impl::map_referrals() {
  const auto n = static_cast<std::uint32_t>(base.customer_count());
  std::vector<std::uint32_t> prospect(people.size(), none);
  base.prospect_id.clear();
  auto index_of = [&](std::uint32_t p) {
    if (people_customer[p] != none) return people_customer[p];
    if (prospect[p] == none) {
      prospect[p] = n + static_cast<std::uint32_t>(base.prospect_id.size());
      base.prospect_id.push_back(people[p]);
    }
    return prospect[p];
  };
  base.referral_from.resize(referral_from_person.size());
  base.referral_to.resize(referral_to_person.size());
  for (std::size_t k = 0; k < referral_from_person.size(); ++k) {
    base.referral_from[k] = index_of(referral_from_person[k]);
    base.referral_to[k] = index_of(referral_to_person[k]);
  }
}

void Scorer::Impl::apply_queue() {
  if (!pending()) return;
  const std::size_t old_customers = applied_customers;
  std::vector<std::uint32_t> dirty = merge_events();
  const bool forest_changed = referrals_changed || old_customers != base.customer_count();
  if (forest_changed) map_referrals();
  for (auto c = static_cast<std::uint32_t>(old_customers); c < base.customer_count(); ++c) dirty.push_back(c);
  row_of.resize(base.customer_count(), none);
  applied_customers = base.customer_count();
  referrals_changed = false;
  rescore(std::move(dirty), forest_changed);
}

// Rescores the customers in `dirty` (and those whose referral inputs change with a new forest),
// then the value columns of those rows and the base-wide ranks.
void Scorer::Impl::rescore(std::vector<std::uint32_t> dirty, bool forest_changed) {
  if (detail::model_path(base, config)) {
    // value at stake on the model path needs more than a row's own columns (BG/BB's purchase
    // periods, contracts): a full run with the parameters in force, keeping the fit's figures
    ScoreResult before = std::move(result);
    full_rescore(config);
    detail::keep_fit_figures(before, result);
    return;
  }
  Scores& s = result.scores;
  const std::size_t old_rows = s.size();
  if (forest_changed) {
    ReferralForest forest = build_referral_forest(base, as_of, config);
    for (std::uint32_t c = 0; c < applied_customers && c < result.forest.katz.size(); ++c)
      if (!same(forest.katz[c], result.forest.katz[c]) ||
          !same(forest.track_record_weight[c], result.forest.track_record_weight[c]))
        dirty.push_back(c);
    result.forest = std::move(forest);
  }
  // the rows to rescore; new scored customers get rows at the end, in customer order
  std::sort(dirty.begin(), dirty.end());
  dirty.erase(std::unique(dirty.begin(), dirty.end()), dirty.end());
  std::vector<std::uint32_t> customers;
  for (const auto c : dirty) {
    if (base.acquired_on[c] > as_of) continue;
    if (row_of[c] == none) row_of[c] = static_cast<std::uint32_t>(old_rows);  // numbered below
    customers.push_back(c);
  }
  std::size_t rows_now = old_rows;
  for (const auto c : customers)
    if (row_of[c] >= old_rows) row_of[c] = static_cast<std::uint32_t>(rows_now++);
  for_each_column(s, s, [&](auto& col, auto&) { col.resize(rows_now); });
  const bool intervals = given.intervals > 0;
  if (intervals) for_each_interval_column(s.intervals, s.intervals, [&](auto& col, auto&) { col.resize(rows_now); });
  for (const auto c : customers) s.customer[row_of[c]] = c;
  rescored = customers.size();

  // score them with the steps of score(), into a scratch result, then copy the rows over
  ScoreResult part;
  part.as_of = as_of;
  part.forest = std::move(result.forest);
  part.bgnbd = result.bgnbd;
  part.gamma_gamma = result.gamma_gamma;
  part.bgnbd_error = result.bgnbd_error;
  part.gamma_gamma_error = result.gamma_gamma_error;
  detail::resize_scores(part.scores, customers.size(), threads);
  std::copy(customers.begin(), customers.end(), part.scores.customer.begin());
  detail::score_rows(base, customers, config, threads, {}, part);
  detail::fill_value_columns(config, threads, part);
  if (intervals) detail::fill_interval_columns(base, config, draws, threads, part);
  result.forest = std::move(part.forest);

  std::vector<std::pair<double, std::uint32_t>> removed, inserted;
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const std::uint32_t r = row_of[customers[i]];
    if (r < old_rows) {
      removed.emplace_back(s.upserve_value[r], r);
      result.bgnbd_customers -= detail::bgnbd_input(s, r) ? 1 : 0;
      result.gamma_gamma_customers -= detail::gamma_gamma_input(s, r) ? 1 : 0;
    }
    for_each_column(s, part.scores, [&](auto& to, const auto& from) { to[r] = from[i]; });
    if (intervals)
      for_each_interval_column(s.intervals, part.scores.intervals,
                               [&](auto& to, const auto& from) { to[r] = from[i]; });
    if (!all_changed) {
      if (changed.size() <= r) changed.resize(rows_now, 0);
      if (!changed[r]) {
        changed[r] = 1;
        changed_rows.push_back(r);
      }
    }
    result.bgnbd_customers += detail::bgnbd_input(s, r) ? 1 : 0;
    result.gamma_gamma_customers += detail::gamma_gamma_input(s, r) ? 1 : 0;
    inserted.emplace_back(s.upserve_value[r], r);
  }
  if (!config.bgnbd || !config.gamma_gamma) {
    refit_unavailable_models();
  } else {
    update_ranks(removed, std::move(inserted));
  }
}

// A value model could not be fitted before: retry the fit over every row, as score() would, then
// the value columns and ranks of every row.
void Scorer::Impl::refit_unavailable_models() {
  result.bgnbd_fitted = result.gamma_gamma_fitted = false;
  result.bgnbd_error.clear();
  result.gamma_gamma_error.clear();
  detail::fit_value_models(config, result);
  if (result.bgnbd_fitted) config.bgnbd = result.bgnbd;
  if (result.gamma_gamma_fitted) config.gamma_gamma = result.gamma_gamma;
  detail::fill_value_columns(config, threads, result);
  intervals_after_fit(result.bgnbd_fitted || result.gamma_gamma_fitted);
  all_changed = true;  // every row's value columns
  rank_all();
}

// Base-wide ranks: the sorted (value, row) pairs lose the changed rows' old values and gain their
// new ones in one merge (O(n + k log k)), then one pass gives every row its mid rank.
void Scorer::Impl::update_ranks(std::vector<std::pair<double, std::uint32_t>> removed,
                                std::vector<std::pair<double, std::uint32_t>> inserted) {
  const bool finite = std::none_of(inserted.begin(), inserted.end(), [](const auto& p) { return std::isnan(p.first); });
  if (!ranked_valid || !finite) {
    rank_all();
    return;
  }
  std::sort(removed.begin(), removed.end());
  std::sort(inserted.begin(), inserted.end());
  std::vector<std::pair<double, std::uint32_t>> merged;
  merged.reserve(ranked.size() - removed.size() + inserted.size());
  auto gone = removed.begin();
  auto in = inserted.begin();
  for (const auto& entry : ranked) {
    if (gone != removed.end() && *gone == entry) {
      ++gone;
      continue;
    }
    for (; in != inserted.end() && *in < entry; ++in) merged.push_back(*in);
    merged.push_back(entry);
  }
  merged.insert(merged.end(), in, inserted.end());
  ranked.swap(merged);
  detail::mid_ranks(ranked, result.scores.upserve_score, threads);
}

// ---------------------------------------------------------------- intake for other sources

struct detail_scorer_access {
  static Scorer::Impl& impl(Scorer& s) { return *s.impl_; }
};

namespace detail {

bool add_customer_row(ScorerRows& rows, std::string_view id, day_t acquired_on, std::string_view segment,
                      day_t ended_on, const RowError* failure, RowError& e) {
  return rows.impl.add_customer(id, acquired_on, segment, ended_on, failure, e);
}
bool add_contact_row(ScorerRows& rows, std::string_view customer_id, const ContactRow& row, const RowError* failure,
                     RowError& e) {
  return rows.impl.add_contact(customer_id, row, failure, e);
}
bool add_purchase_row(ScorerRows& rows, std::string_view customer_id, seconds_t at, double amount,
                      const RowError* failure, RowError& e) {
  return rows.impl.add_purchase(customer_id, at, amount, failure, e);
}
bool add_referral_row(ScorerRows& rows, std::string_view referrer, std::string_view referred, seconds_t at,
                      const RowError* failure, RowError& e) {
  return rows.impl.add_referral(referrer, referred, at, failure, e);
}

LoadReport add_rows(Scorer& scorer, const LoadOptions& options,
                    const std::function<void(ScorerRows&, RejectSink&)>& feed) {
  auto& im = detail_scorer_access::impl(scorer);
  std::lock_guard lock(im.mutex);
  LoadReport out;
  RejectSink sink(out, options);
  ScorerRows rows{im};
  im.batch_held_contacts = im.batch_held_purchases = 0;
  const auto finish = [&] {
    accumulate(im.report, out);
    out.contacts.pending = im.batch_held_contacts;
    out.purchases.pending = im.batch_held_purchases;
  };
  try {
    feed(rows, sink);
  } catch (...) {
    finish();
    throw;
  }
  finish();
  return out;
}

IntervalDraws interval_draws(Scorer& scorer) {
  auto& im = detail_scorer_access::impl(scorer);
  std::lock_guard lock(im.mutex);
  return im.draws;
}

RowsExtract extract_rows(const CustomerBase& base, const ScoreResult& result, const std::vector<std::uint32_t>& rows) {
  RowsExtract out;
  const std::size_t k = rows.size();
  ScoreResult& r = out.result;
  r.as_of = result.as_of;
  r.bgnbd = result.bgnbd;
  r.gamma_gamma = result.gamma_gamma;
  r.bgnbd_fitted = result.bgnbd_fitted;
  r.gamma_gamma_fitted = result.gamma_gamma_fitted;
  r.bgnbd_error = result.bgnbd_error;
  r.gamma_gamma_error = result.gamma_gamma_error;
  const auto take = [&](auto& to, const auto& from) {
    to.resize(k);
    for (std::size_t i = 0; i < k; ++i) to[i] = from[rows[i]];
  };
  for_each_column(r.scores, result.scores, take);
  if (!result.scores.intervals.p_alive_lo.empty())
    for_each_interval_column(r.scores.intervals, result.scores.intervals, take);
  const auto& f = result.forest;
  auto& g = r.forest;
  for (auto* col : {&g.direct_referrals, &g.converted_referrals, &g.generation, &g.tree_size}) col->resize(k);
  g.katz.resize(k);
  out.base.customer_id.reserve(k);
  out.root_id.reserve(k);
  for (std::size_t i = 0; i < k; ++i) {
    const auto c = result.scores.customer[rows[i]];
    r.scores.customer[i] = static_cast<std::uint32_t>(i);
    out.base.customer_id.push_back(base.customer_id[c]);
    out.root_id.emplace_back(base.person(f.root[c]));
    g.direct_referrals[i] = f.direct_referrals[c];
    g.converted_referrals[i] = f.converted_referrals[c];
    g.generation[i] = f.generation[c];
    g.tree_size[i] = f.tree_size[c];
    g.katz[i] = f.katz[c];
  }
  return out;
}

}  // namespace detail

// ---------------------------------------------------------------- the public face

Scorer::Scorer(CustomerBase base, std::optional<day_t> as_of, const ScoringConfig& config, LoadReport report,
               const ScorerOptions& options)
    : impl_(std::make_unique<Impl>()) {
  validate(config);
  validate(options);
  detail::check_base(base, config.threads);  // a base built by hand meets the row rules too
  auto& im = *impl_;
  im.options = options;
  im.base = std::move(base);
  im.report = std::move(report);
  im.given = config;
  if (!as_of) as_of = im.base.default_as_of();
  if (!as_of) throw InputError("empty customer base: nothing to score and no as-of date");
  im.as_of = *as_of;
  im.threads = detail::thread_count(config.threads);
  im.index_base();
  im.full_rescore(im.given);
}

Scorer::~Scorer() = default;

LoadReport Scorer::add(const RowBatch& batch, const LoadOptions& options) {
  return detail::add_rows(*this, options, [&](detail::ScorerRows& rows, detail::RejectSink& sink) {
    auto& report = sink.report();
    const auto take = [&](const detail::TableSchema& schema, TableCounts& counts, const auto& table, auto&& add_row) {
      detail::ColumnMap columns;
      for (std::size_t k = 0; k < schema.fields.size(); ++k) {
        columns.position.push_back(k + 1);
        columns.header.emplace_back(schema.fields[k]);
      }
      const std::string file = std::string("<") + schema.table + ">";
      counts.read += table.size();
      detail::RowError e;
      for (std::size_t i = 0; i < table.size(); ++i)
        if (!add_row(table[i], e)) sink.reject(schema, counts, file, columns, i + 2, e, {});
    };
    take(detail::customers_schema(), report.customers, batch.customers, [&](const CustomerRow& r, detail::RowError& e) {
      return detail::add_customer_row(rows, r.customer_id, r.acquired_on, r.segment, r.ended_on, nullptr, e);
    });
    take(detail::contacts_schema(), report.contacts, batch.contacts, [&](const ContactEntry& r, detail::RowError& e) {
      return detail::add_contact_row(rows, r.customer_id, r.row, nullptr, e);
    });
    take(detail::purchases_schema(), report.purchases, batch.purchases, [&](const PurchaseRow& r, detail::RowError& e) {
      return detail::add_purchase_row(rows, r.customer_id, r.at, r.amount, nullptr, e);
    });
    take(detail::referrals_schema(), report.referrals, batch.referrals, [&](const ReferralRow& r, detail::RowError& e) {
      return detail::add_referral_row(rows, r.referrer_id, r.referred_id, r.at, nullptr, e);
    });
  });
}

const ScoreResult& Scorer::scores() {
  std::lock_guard lock(impl_->mutex);
  impl_->refresh();
  return impl_->result;
}

std::size_t Scorer::rescored() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->rescored;
}

ScoringConfig Scorer::config() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->config;
}

day_t Scorer::as_of() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->as_of;
}

void Scorer::set_as_of(day_t as_of) {
  std::lock_guard lock(impl_->mutex);
  auto& im = *impl_;
  im.apply_queue();
  im.as_of = as_of;
  im.full_rescore(im.config);
}

void Scorer::refit() {
  std::lock_guard lock(impl_->mutex);
  auto& im = *impl_;
  im.apply_queue();
  im.full_rescore(im.given);
}

Summary Scorer::summary() {
  std::lock_guard lock(impl_->mutex);
  auto& im = *impl_;
  im.apply_queue();
  // held rows: rejected unknown-customer rows of a full run of the same rows
  LoadReport rep = im.running_report();
  rep.contacts.rejected += im.held_contacts;
  rep.purchases.rejected += im.held_purchases;
  Summary s = summarize(im.base, rep, im.result, im.config);
  s.live = true;
  s.contacts_rows.pending = im.held_contacts;
  s.purchases_rows.pending = im.held_purchases;
  if (im.held_contacts) s.rejected_by_reason["contacts: unknown customer"] += im.held_contacts;
  if (im.held_purchases) s.rejected_by_reason["purchases: unknown customer"] += im.held_purchases;
  return s;
}

LoadReport Scorer::report() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->running_report();
}

std::vector<std::uint32_t> Scorer::changes() {
  std::vector<std::uint32_t> out;
  with_changes([&](const CustomerBase&, const ScoreResult&, const std::vector<std::uint32_t>& rows) { out = rows; });
  return out;
}

void Scorer::with_changes(
    const std::function<void(const CustomerBase&, const ScoreResult&, const std::vector<std::uint32_t>&)>& f) {
  std::lock_guard lock(impl_->mutex);
  auto& im = *impl_;
  im.refresh();
  const std::vector<std::uint32_t> rows = im.take_changes();
  f(im.base, im.result, rows);
  if (im.all_changed) {
    im.changed.assign(im.result.scores.size(), 0);
  } else {
    for (const auto r : im.changed_rows) im.changed[r] = 0;
  }
  im.all_changed = false;
  im.changed_rows.clear();
}

std::string Scorer::explain(std::size_t row) {
  std::lock_guard lock(impl_->mutex);
  impl_->apply_queue();
  if (row >= impl_->result.scores.size()) throw NotFoundError("explain: no scored row " + std::to_string(row));
  return explain_json(impl_->base, impl_->result, row, impl_->config);
}

std::string Scorer::explain(std::string_view customer_id) {
  std::lock_guard lock(impl_->mutex);
  auto& im = *impl_;
  im.apply_queue();
  const auto c = im.customer(customer_id);
  if (!c || im.row_of[*c] == none)
    throw NotFoundError("explain: no scored customer '" + std::string(customer_id) + "'");
  return explain_json(im.base, im.result, im.row_of[*c], im.config);
}

void Scorer::with_scores(const std::function<void(const CustomerBase&, const ScoreResult&)>& f) {
  std::lock_guard lock(impl_->mutex);
  impl_->refresh();
  f(impl_->base, impl_->result);
}

CustomerBase Scorer::base() {
  std::lock_guard lock(impl_->mutex);
  impl_->apply_queue();
  return impl_->base;
}

}  // namespace rapport
