// Databases: names and URIs, the value spellings, and what is read and written (shared by every
// backend; see io/db_connection.hpp).
#include <rapport/io/database.hpp>
#include <rapport/io/writers.hpp>
#include <rapport/scoring/summary.hpp>

#include "io/csv.hpp"
#include "io/csv_write.hpp"
#include "io/db_connection.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <functional>
#include <optional>

namespace rapport {

namespace detail {

namespace {
bool ident_start(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool ident_char(char c) noexcept { return ident_start(c) || (c >= '0' && c <= '9') || c == '$'; }
bool plain(std::string_view s) noexcept {
  if (s.empty() || s.size() > 63 || !ident_start(s[0])) return false;
  for (char c : s)
    if (!ident_char(c)) return false;
  return true;
}
bool starts_with_ci(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if ((s[i] | 0x20) != prefix[i]) return false;
  return true;
}
}  // namespace

DbName parse_db_name(std::string_view name, std::string_view what) {
  if (!is_plain_identifier(name))
    throw ConfigError(std::string(what) + ": '" + std::string(name) +
                      "' is not a plain table name (letters, digits, _ and $, optionally schema-qualified)");
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) return {{}, std::string(name)};
  return {std::string(name.substr(0, dot)), std::string(name.substr(dot + 1))};
}

void spell_double(double v, std::string& out) {
  char buf[400];  // fixed notation of the largest double: 309 digits
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  out.append(buf, r.ptr);
}

void spell_unix_seconds(std::int64_t t, DbType type, std::string& out) {
  out += type == DbType::date ? format_date(day_of(t)) : format_timestamp(t);
}

bool DbTableSource::next(CsvRecord& rec) {
  rec.error = nullptr;
  rec.error_column = 0;
  if (line_ == 0) {
    ++line_;
    rec.line = 0;
    rec.fields.assign(header_.begin(), header_.end());
    rec.raw = {};
    return true;
  }
  row_.clear();
  ends_.clear();
  if (!fetch()) return false;
  rec.line = line_++;
  rec.fields.clear();
  for (std::size_t i = 0; i < ends_.size(); ++i) {
    const std::size_t from = i ? ends_[i - 1] + 1 : 0;
    rec.fields.emplace_back(row_.data() + from, ends_[i] - from);
  }
  rec.raw = row_;
  return true;
}

DbType type_from_declared(std::string_view d) noexcept {
  if (starts_with_ci(d, "timestamp") || starts_with_ci(d, "datetime")) return DbType::timestamp;
  if (starts_with_ci(d, "date")) return DbType::date;
  if (starts_with_ci(d, "bool")) return DbType::boolean;
  return DbType::text;
}

std::unique_ptr<DbConnection> open_db(const std::string& uri, bool write) {
  if (const auto path = sqlite_path(uri)) {
    if (path->empty()) throw InputError("sqlite: no database file given (sqlite:PATH)");
    return open_sqlite(*path, write);
  }
  return open_postgres(uri);
}

namespace {

/// Runs `body` in a write transaction: committed when it returns, rolled back when it throws.
void in_write_transaction(DbConnection& db, const std::function<void()>& body) {
  db.begin_write();
  try {
    body();
    db.commit();
  } catch (...) {
    db.rollback();
    throw;
  }
}

/// Creates `name` when missing; an existing table must have exactly these column names.
void ensure_table(DbConnection& db, const DbName& name, const std::vector<DbColumn>& columns) {
  const auto have = db.columns(name);
  if (have.empty()) return db.create(name, columns);
  bool same = have.size() == columns.size();
  for (std::size_t i = 0; same && i < columns.size(); ++i) same = have[i] == columns[i].name;
  if (same) return;
  std::string want, got;
  for (const auto& c : columns) want += (want.empty() ? "" : ",") + c.name;
  for (const auto& c : have) got += (got.empty() ? "" : ",") + c;
  throw OutputError(name.display() + ": table has columns (" + got + "), expected (" + want +
                    "); rapport never alters a table: drop or rename it");
}

// ---- the tables rapport writes

std::vector<DbColumn> score_table_columns() {
  std::vector<DbColumn> out;
  for (const auto& c : score_columns()) {
    DbType t = DbType::real;
    if (c == "customer_id" || c == "next_action" || c == "root_id") t = DbType::text;
    else if (c == "ask_for_referral") t = DbType::boolean;
    else if (c == "direct_referrals" || c == "converted_referrals" || c == "generation" || c == "tree_size")
      t = DbType::integer;
    out.push_back({c, t});
  }
  return out;
}

constexpr std::array<const char*, 7> history_score_columns{"customer_id",   "loyalty_given",      "upserve_value",
                                                           "upserve_score", "next_action",        "referral_potential",
                                                           "ask_for_referral"};

std::vector<DbColumn> history_table_columns() {
  const auto scores = score_table_columns();
  std::vector<DbColumn> out{{"as_of", DbType::date}};
  for (const char* name : history_score_columns)
    for (const auto& c : scores)
      if (c.name == name) out.push_back(c);
  return out;
}

const std::vector<DbColumn>& run_table_columns() {
  static const std::vector<DbColumn> cols{{"as_of", DbType::date},          {"started_at", DbType::timestamp},
                                          {"ended_at", DbType::timestamp},  {"rows_read", DbType::integer},
                                          {"rows_rejected", DbType::integer}, {"parameters", DbType::text},
                                          {"summary", DbType::text}};
  return cols;
}

/// Streams the score rows (their CSV spelling, split by the CSV reader) to `sink` in batches.
void for_each_score_row(const CustomerBase& base, const ScoreResult& res,
                        const std::function<void(const std::vector<std::string_view>&)>& sink) {
  constexpr std::size_t batch = 4096;
  std::string text;
  for (std::size_t lo = 0; lo < res.scores.size(); lo += batch) {
    text.clear();
    const std::size_t hi = std::min(res.scores.size(), lo + batch);
    for (std::size_t r = lo; r < hi; ++r) format_score_row(text, base, res, r);
    CsvReader reader(text, "scores");
    CsvRecord rec;
    while (reader.next(rec)) sink(rec.fields);
  }
}

void write_scores(DbConnection& db, const DbName& name, const CustomerBase& base, const ScoreResult& res) {
  const auto cols = score_table_columns();
  ensure_table(db, name, cols);
  db.remove(name);
  auto ins = db.insert(name, cols);
  for_each_score_row(base, res, [&](const std::vector<std::string_view>& f) { ins->add(f); });
  ins->finish();
}

void write_history(DbConnection& db, const DbName& name, const CustomerBase& base, const ScoreResult& res) {
  const auto cols = history_table_columns();
  ensure_table(db, name, cols);
  const std::string as_of = format_date(res.as_of);
  db.remove(name, "as_of", as_of);
  std::vector<std::size_t> pick;  // score column index of each history column after as_of
  const auto& all = score_columns();
  for (std::size_t k = 1; k < cols.size(); ++k)
    pick.push_back(static_cast<std::size_t>(std::find(all.begin(), all.end(), cols[k].name) - all.begin()));
  auto ins = db.insert(name, cols);
  std::vector<std::string_view> row(cols.size());
  row[0] = as_of;
  for_each_score_row(base, res, [&](const std::vector<std::string_view>& f) {
    for (std::size_t k = 0; k < pick.size(); ++k) row[k + 1] = f[pick[k]];
    ins->add(row);
  });
  ins->finish();
}

void write_run(DbConnection& db, const DbName& name, const CustomerBase& base, const LoadReport& report,
               const ScoreResult& res, const ScoringConfig& config, const DbRun& run, const Summary* given) {
  ensure_table(db, name, run_table_columns());
  std::optional<Summary> computed;
  if (!given) computed = summarize(base, report, res, config);
  const Summary& s = given ? *given : *computed;
  const std::string summary = to_json(s);
  const std::string params = value_models_json(s);
  const std::size_t read = report.customers.read + report.contacts.read + report.purchases.read + report.referrals.read;
  const std::string cells[] = {format_date(res.as_of), format_timestamp(run.started), format_timestamp(run.ended),
                               std::to_string(read),   std::to_string(report.total_rejected()), params, summary};
  auto ins = db.insert(name, run_table_columns());
  ins->add(std::vector<std::string_view>(std::begin(cells), std::end(cells)));
  ins->finish();
}

// ---- import: the accepted rows of a base, spelled as CSV, into native columns

struct ImportTable {
  DbName name;
  std::vector<DbColumn> columns;
};

void import_rows(DbConnection& db, const ImportTable& t, std::size_t n,
                 const std::function<void(std::size_t, std::vector<std::string>&)>& spell) {
  ensure_table(db, t.name, t.columns);
  if (db.has_rows(t.name))
    throw OutputError(t.name.display() + ": table already holds rows; import writes into new or empty tables");
  auto ins = db.insert(t.name, t.columns);
  std::vector<std::string> cells(t.columns.size());
  std::vector<std::string_view> views(t.columns.size());
  for (std::size_t i = 0; i < n; ++i) {
    spell(i, cells);
    for (std::size_t k = 0; k < cells.size(); ++k) views[k] = cells[k];
    ins->add(views);
  }
  ins->finish();
}

void import_base(DbConnection& db, const DbTables& tables, const CustomerBase& b) {
  using T = DbType;
  // ended_on only when some customer has one (a base without it keeps today's table)
  std::vector<DbColumn> customer_columns{{"customer_id", T::text}, {"acquired_on", T::date}, {"segment", T::text}};
  if (!b.ended_on.empty()) customer_columns.push_back({"ended_on", T::date});
  import_rows(db, {parse_db_name(tables.customers, "customers"), customer_columns}, b.customer_count(),
              [&](std::size_t i, std::vector<std::string>& c) {
                c = {b.customer_id[i], format_date(b.acquired_on[i]), b.segment_names[b.segment[i]]};
                if (!b.ended_on.empty()) c.push_back(b.ended_on[i] == no_day ? std::string() : format_date(b.ended_on[i]));
              });
  const auto resolved = b.resolved_at_column();
  std::vector<std::uint32_t> contact_owner(b.contact_count()), purchase_owner(b.purchase_count());
  for (std::size_t c = 0; c < b.customer_count(); ++c) {
    for (auto k = b.contact_offsets[c]; k < b.contact_offsets[c + 1]; ++k) contact_owner[k] = static_cast<std::uint32_t>(c);
    for (auto k = b.purchase_offsets[c]; k < b.purchase_offsets[c + 1]; ++k) purchase_owner[k] = static_cast<std::uint32_t>(c);
  }
  import_rows(db,
              {parse_db_name(tables.contacts, "contacts"),
               {{"customer_id", T::text}, {"at", T::timestamp}, {"channel", T::text}, {"stage", T::text},
                {"initiator", T::text}, {"aspect", T::text}, {"impression", T::integer}, {"complaint", T::boolean},
                {"resolved_at", T::timestamp}}},
              b.contact_count(), [&](std::size_t k, std::vector<std::string>& c) {
                c = {b.customer_id[contact_owner[k]],
                     format_timestamp(b.contact_at[k]),
                     std::string(to_string(b.contact_channel[k])),
                     std::string(to_string(b.contact_stage[k])),
                     std::string(to_string(b.contact_initiator[k])),
                     std::string(to_string(b.contact_aspect[k])),
                     std::to_string(b.contact_impression[k]),
                     b.contact_complaint[k] ? "true" : "false",
                     resolved[k] == no_time ? std::string() : format_timestamp(resolved[k])};
              });
  import_rows(db, {parse_db_name(tables.purchases, "purchases"), {{"customer_id", T::text}, {"at", T::timestamp}, {"amount", T::real}}},
              b.purchase_count(), [&](std::size_t k, std::vector<std::string>& c) {
                std::string amount;
                spell_double(b.purchase_amount[k], amount);
                c = {b.customer_id[purchase_owner[k]], format_timestamp(b.purchase_at[k]), amount};
              });
  import_rows(db, {parse_db_name(tables.referrals, "referrals"), {{"referrer_id", T::text}, {"referred_id", T::text}, {"at", T::timestamp}}},
              b.referral_count(), [&](std::size_t k, std::vector<std::string>& c) {
                c = {b.person(b.referral_from[k]), b.person(b.referral_to[k]), format_timestamp(b.referral_at[k])};
              });
}

}  // namespace
}  // namespace detail

std::optional<std::string> sqlite_path(std::string_view uri) {
  constexpr std::string_view scheme = "sqlite:";
  if (uri.substr(0, scheme.size()) != scheme) return std::nullopt;
  return std::string(uri.substr(scheme.size()));
}

bool is_plain_identifier(std::string_view name) noexcept {
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) return detail::plain(name);
  return detail::plain(name.substr(0, dot)) && detail::plain(name.substr(dot + 1));
}

DbTables DbTables::parse(std::string_view mapping) {
  DbTables t;
  while (!mapping.empty()) {
    const auto comma = mapping.find(',');
    const std::string_view item = mapping.substr(0, comma);
    mapping = comma == std::string_view::npos ? std::string_view() : mapping.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos)
      throw ConfigError("--tables: '" + std::string(item) + "' is not TABLE=NAME");
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    std::string* slot = key == "customers" ? &t.customers
                        : key == "contacts"  ? &t.contacts
                        : key == "purchases" ? &t.purchases
                        : key == "referrals" ? &t.referrals
                                             : nullptr;
    if (!slot)
      throw ConfigError("--tables: unknown table '" + std::string(key) +
                        "' (expected customers, contacts, purchases or referrals)");
    detail::parse_db_name(value, "--tables " + std::string(key));
    *slot = std::string(value);
  }
  return t;
}

std::string redact_uri(std::string_view uri) {
  std::string s(uri);
  // URI form: scheme://user:password@host
  const auto scheme = s.find("://");
  if (scheme != std::string::npos) {
    const auto at = s.find('@', scheme + 3);
    const auto colon = s.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) s.erase(colon, at - colon);
  }
  // key/value form and URI parameters: password=... up to a space or '&'
  for (std::size_t p; (p = s.find("password=")) != std::string::npos;) {
    std::size_t end = p + 9;
    if (end < s.size() && s[end] == '\'') {
      ++end;
      while (end < s.size() && s[end] != '\'') end += s[end] == '\\' ? 2 : 1;
      ++end;
    } else {
      while (end < s.size() && s[end] != ' ' && s[end] != '&') ++end;
    }
    s.erase(p, std::min(end, s.size()) - p);
  }
  return s;
}

LoadResult load_db(const std::string& uri, const DbOptions& options) {
  using detail::parse_db_name;
  const detail::DbName names[4] = {parse_db_name(options.tables.customers, "customers table"),
                                   parse_db_name(options.tables.contacts, "contacts table"),
                                   parse_db_name(options.tables.purchases, "purchases table"),
                                   parse_db_name(options.tables.referrals, "referrals table")};
  auto db = detail::open_db(uri, false);
  db->begin_read();
  try {
    if (db->columns(names[0]).empty()) throw InputError(names[0].display() + ": customers table not found");
    detail::RecordSources sources;
    std::unique_ptr<detail::RecordSource>* slots[4] = {&sources.customers, &sources.contacts, &sources.purchases,
                                                       &sources.referrals};
    for (int k = 0; k < 4; ++k)
      if (k == 0 || !db->columns(names[k]).empty()) *slots[k] = db->read(names[k]);
    auto result = detail::load_records(sources, options.load);
    sources = {};  // statements finished before the snapshot ends
    db->commit();
    return result;
  } catch (...) {
    db->rollback();
    throw;
  }
}

void DbWriteOptions::validate() const {
  if (!out_table.empty()) detail::parse_db_name(out_table, "--out-table");
  if (!history_table.empty()) detail::parse_db_name(history_table, "--history-table");
  if (!runs_table.empty()) detail::parse_db_name(runs_table, "--runs-table");
}

void write_db(const std::string& uri, const DbWriteOptions& tables, const CustomerBase& base, const LoadReport& report,
              const ScoreResult& result, const ScoringConfig& config, const DbRun& run, const Summary* summary) {
  if (!tables.any()) return;
  std::optional<detail::DbName> out, history, runs;
  if (!tables.out_table.empty()) out = detail::parse_db_name(tables.out_table, "--out-table");
  if (!tables.history_table.empty()) history = detail::parse_db_name(tables.history_table, "--history-table");
  if (!tables.runs_table.empty()) runs = detail::parse_db_name(tables.runs_table, "--runs-table");
  auto db = detail::open_db(uri, true);
  detail::in_write_transaction(*db, [&] {
    if (out) detail::write_scores(*db, *out, base, result);
    if (history) detail::write_history(*db, *history, base, result);
    if (runs) detail::write_run(*db, *runs, base, report, result, config, run, summary);
  });
}

LoadResult import_csv_to_db(const InputFiles& files, const std::string& uri, const DbTables& tables,
                            const LoadOptions& options) {
  for (const auto* t : {&tables.customers, &tables.contacts, &tables.purchases, &tables.referrals})
    detail::parse_db_name(*t, "table");
  auto loaded = load_csv(files, options);
  auto db = detail::open_db(uri, true);
  detail::in_write_transaction(*db, [&] { detail::import_base(*db, tables, loaded.base); });
  return loaded;
}

}  // namespace rapport
