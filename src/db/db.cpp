// Databases: names and URIs, the value spellings, and what is read and written (shared by every
// backend; see db/db_connection.hpp).
#include <rapport/io/database.hpp>
#include <rapport/io/load.hpp>
#include <rapport/io/writers.hpp>
#include <rapport/scoring/summary.hpp>

#include "base/rows.hpp"
#include "db/db_connection.hpp"
#include "io/csv_reader.hpp"
#include "io/csv_write.hpp"
#include "io/load.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

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
}  // namespace

bool starts_with_ci(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if ((s[i] | 0x20) != prefix[i]) return false;
  return true;
}

DbName parse_db_name(std::string_view name, std::string_view what) {
  if (!is_plain_identifier(name))
    throw ConfigError(std::string(what) + ": '" + std::string(name) +
                      "' is not a plain table name (letters, digits, _ and $, optionally schema-qualified)");
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) return {{}, std::string(name)};
  return {std::string(name.substr(0, dot)), std::string(name.substr(dot + 1))};
}

void spell_double(double v, std::string& out) { spell_typed(TypedField{TypedField::Kind::real, 0, v}, out); }

TypedField typed_unix_seconds(std::int64_t t, DbType type) noexcept {
  constexpr std::int64_t lo = midnight(days_from_civil(0, 1, 1)), hi = midnight(days_from_civil(10000, 1, 1));
  using Kind = TypedField::Kind;
  if (t < lo || t >= hi) return {Kind::integer, t, 0};
  if (type == DbType::date) return {Kind::day, day_of(t), 0};
  return {Kind::instant, t, 0};
}

/// Rows fetched by the reader thread (a RecordBatch); then, in the last batch, why reading
/// stopped (an error) or the end.
struct DbTableSource::Batch : RecordBatch {
  std::exception_ptr error;  ///< after the rows: the read failed
  bool last = false;         ///< after the rows (and error): nothing follows
};

/// The reader thread and the batches in flight: full ones for the loader, spent ones (their
/// buffers kept) for the reader.
struct DbTableSource::Queue {
  static constexpr std::size_t depth = 2;  ///< full batches the reader may run ahead
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Batch> full;
  std::vector<Batch> spent;
  bool stop = false;
  std::thread reader;
};

namespace {
constexpr std::size_t batch_bytes = std::size_t{1} << 22;  // a batch's text at most (wide rows)
}  // namespace

DbTableSource::DbTableSource(std::string name, std::vector<std::string> header)
    : name_(std::move(name)), header_(std::move(header)), queue_(std::make_unique<Queue>()) {}

DbTableSource::~DbTableSource() { stop_reading(); }

void DbTableSource::stop_reading() noexcept {
  if (!queue_->reader.joinable()) return;
  {
    const std::lock_guard lock(queue_->mutex);
    queue_->stop = true;
  }
  queue_->changed.notify_all();
  queue_->reader.join();
}

void DbTableSource::produce() {
  Queue& q = *queue_;
  const auto swap_in = [&](Batch& b) {
    row_.swap(b.text);
    ends_.swap(b.ends);
    kinds_.swap(b.kinds);
    typed_.swap(b.typed);
  };
  for (bool more = true; more;) {
    Batch b;
    {
      const std::lock_guard lock(q.mutex);
      if (!q.spent.empty()) {
        b = std::move(q.spent.back());
        q.spent.pop_back();
      }
    }
    swap_in(b);
    row_.clear();
    ends_.clear();
    kinds_.clear();
    typed_.clear();
    b.rows.clear();
    b.typed_rows.clear();
    b.first_line = fetched_ + 1;
    try {
      while (b.rows.size() < std::max<std::size_t>(record_batch_rows, 1) && row_.size() < batch_bytes) {
        if (!fetch()) {
          more = false;
          break;
        }
        b.rows.push_back(ends_.size());
        b.typed_rows.push_back(typed_.size());
      }
    } catch (...) {
      b.error = std::current_exception();
      more = false;
    }
    // a row cut short by an error is not handed on
    ends_.resize(b.rows.empty() ? 0 : b.rows.back());
    kinds_.resize(ends_.size());
    typed_.resize(b.typed_rows.empty() ? 0 : b.typed_rows.back());
    swap_in(b);
    fetched_ += b.rows.size();
    b.last = !more;
    std::unique_lock lock(q.mutex);
    q.changed.wait(lock, [&] { return q.stop || q.full.size() < Queue::depth; });
    if (q.stop) return;
    q.full.push_back(std::move(b));
    q.changed.notify_all();
  }
}

void DbTableSource::take_batch() {
  Queue& q = *queue_;
  std::unique_lock lock(q.mutex);
  if (current_) q.spent.push_back(std::move(*current_));
  q.changed.notify_all();
  q.changed.wait(lock, [&] { return !q.full.empty(); });
  current_ = std::make_unique<Batch>(std::move(q.full.front()));
  q.full.pop_front();
  q.changed.notify_all();
  next_row_ = 0;
}

void DbTableSource::start_reading() {
  if (!started_) queue_->reader = std::thread([this] { produce(); });
  started_ = true;
}

bool DbTableSource::advance() {
  if (current_ && current_->error) {
    auto error = current_->error;
    current_->error = nullptr;
    stop_reading();
    std::rethrow_exception(error);
  }
  if (current_ && current_->last) {
    stop_reading();
    return false;
  }
  take_batch();
  return true;
}

bool DbTableSource::next(CsvRecord& rec) {
  rec.error = nullptr;
  rec.error_column = 0;
  rec.typed = nullptr;
  if (!header_taken_) {
    header_taken_ = true;
    rec.line = 0;
    rec.fields.assign(header_.begin(), header_.end());
    rec.raw = {};
    // the reader fetches while the loader takes the header in
    start_reading();
    return true;
  }
  while (!current_ || next_row_ == current_->size())
    if (!advance()) return false;
  current_->record(next_row_++, rec, record_typed_);
  return true;
}

const RecordBatch* DbTableSource::next_batch() {
  if (!header_taken_) throw InternalError(name_ + ": next_batch before the header was taken");
  if (!advance()) return nullptr;
  next_row_ = current_->size();  // handed on whole: a next() after it goes on past it
  return current_.get();
}

DbType type_from_declared(std::string_view d) noexcept {
  if (starts_with_ci(d, "timestamp") || starts_with_ci(d, "datetime")) return DbType::timestamp;
  if (starts_with_ci(d, "date")) return DbType::date;
  if (starts_with_ci(d, "bool")) return DbType::boolean;
  return DbType::text;
}

namespace {

bool space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool ends_with_password(std::string_view key) noexcept {
  constexpr std::string_view pw = "password";
  if (key.size() < pw.size()) return false;
  return starts_with_ci(key.substr(key.size() - pw.size()), pw);
}

int hex(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
  return -1;
}

/// %XX decoded; anything else (a lone or invalid %) kept as is.
std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

/// A key/value value as libpq reads it: quotes stripped, backslash escapes undone.
std::string unescape_value(std::string_view v) {
  if (!v.empty() && v.front() == '\'') v.remove_prefix(1);
  if (!v.empty() && v.back() == '\'') v.remove_suffix(1);
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) ++i;
    out.push_back(v[i]);
  }
  return out;
}

/// Whether `s` at `p` starts `keyword =` (a key/value option, or a URI query parameter when `uri`).
bool starts_option(std::string_view s, std::size_t p) noexcept {
  std::size_t q = p;
  while (q < s.size() && (ident_char(s[q]) || s[q] == '%')) ++q;
  if (q == p) return false;
  while (q < s.size() && space(s[q])) ++q;
  return q < s.size() && s[q] == '=';
}

/// Where `secret` occurs in `s` from `from` on; one shorter than 4 characters only as a whole word
/// (a password `a` is not the `a` of "failed").
std::size_t find_secret(std::string_view s, std::string_view secret, std::size_t from) noexcept {
  const auto word = [](char c) { return ident_char(c) || static_cast<unsigned char>(c) >= 0x80; };
  for (std::size_t p = from; (p = s.find(secret, p)) != std::string_view::npos; ++p) {
    const std::size_t e = p + secret.size();
    if (secret.size() >= 4 || ((p == 0 || !word(s[p - 1])) && (e == s.size() || !word(s[e])))) return p;
  }
  return std::string_view::npos;
}

}  // namespace

std::vector<PasswordSpan> password_spans(std::string_view s) {
  std::vector<PasswordSpan> out;
  const auto scheme = s.find("://");
  const bool uri = scheme != std::string_view::npos;
  std::size_t query = std::string_view::npos;
  if (uri) {
    // userinfo: `user:password@`; a password may hold a raw '@', '/' or '?' (libpq then misreads
    // the URI and quotes pieces of it), so it runs to the last '@' of the authority
    const std::size_t rest = scheme + 3;
    const std::size_t q = s.find('?', rest);
    std::size_t at = s.substr(0, q).rfind('@');
    if ((at == std::string_view::npos || at < rest) && q != std::string_view::npos &&
        s.substr(rest, q - rest).find('/') == std::string_view::npos)
      at = s.rfind('@');
    if (at != std::string_view::npos && at >= rest) {
      const auto colon = s.substr(0, at).find(':', rest);
      if (colon != std::string_view::npos) out.push_back({colon, at, colon + 1});
      query = s.find('?', at);
    } else {
      query = q;
    }
  }
  // `password=...` (any key ending in `password`, e.g. sslpassword; the key percent-decoded in a
  // URI query): in a key/value string and in a URI's query
  for (std::size_t i = 0; i < s.size();) {
    if (!ident_char(s[i]) && s[i] != '%') {
      ++i;
      continue;
    }
    std::size_t k = i;
    while (k < s.size() && (ident_char(s[k]) || s[k] == '%')) ++k;
    const bool in_query = uri && query != std::string_view::npos && i > query;
    const bool option_start = i == 0 || space(s[i - 1]) || (in_query && (s[i - 1] == '&' || s[i - 1] == '?'));
    std::size_t eq = k;
    while (eq < s.size() && space(s[eq])) ++eq;
    const std::string key = percent_decode(s.substr(i, k - i));
    if (!option_start || eq >= s.size() || s[eq] != '=' || !ends_with_password(key)) {
      i = k;
      continue;
    }
    std::size_t v = eq + 1;
    while (v < s.size() && space(s[v])) ++v;
    std::size_t end = v;
    if (!in_query && v < s.size() && s[v] == '\'') {
      for (++end; end < s.size() && s[end] != '\''; ++end)
        if (s[end] == '\\') ++end;
      end = std::min(end + 1, s.size());
    } else {
      // unquoted: libpq stops at a blank (or '&' in a URI), but what follows up to the next option
      // was meant as part of it, and libpq quotes it in its error
      for (; end < s.size(); ++end) {
        if (s[end] == '\\' && !in_query) {
          ++end;
          continue;
        }
        if (in_query ? s[end] == '&' && starts_option(s, end + 1) : space(s[end]) && starts_option(s, end + 1)) break;
        if (!in_query && space(s[end]) && end + 1 == s.size()) break;
      }
      end = std::min(end, s.size());
    }
    out.push_back({i, end, v});
    i = end;
  }
  std::sort(out.begin(), out.end(), [](const PasswordSpan& a, const PasswordSpan& b) { return a.begin < b.begin; });
  std::vector<PasswordSpan> merged;
  for (const auto& sp : out) {
    if (!merged.empty() && sp.begin < merged.back().end)
      merged.back().end = std::max(merged.back().end, sp.end);
    else
      merged.push_back(sp);
  }
  return merged;
}

std::string redact(std::string_view text, std::string_view conninfo, const std::vector<std::string>& extra) {
  // the passwords as written, decoded and unescaped, longest first; their pieces
  std::vector<std::string> secrets = extra;
  for (const auto& sp : password_spans(conninfo)) {
    const std::string_view raw = conninfo.substr(sp.value, sp.end - sp.value);
    secrets.emplace_back(raw);
    secrets.push_back(percent_decode(raw));
    secrets.push_back(unescape_value(raw));
  }
  std::vector<std::string> pieces;
  for (const auto& sec : secrets) {
    std::size_t from = 0;
    for (std::size_t i = 0; i <= sec.size(); ++i) {
      if (i < sec.size() && std::string_view("@/:?&#=', \t\\").find(sec[i]) == std::string_view::npos) continue;
      if (i > from) pieces.push_back(sec.substr(from, i - from));
      from = i + 1;
    }
  }
  std::sort(secrets.begin(), secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  std::string s(text);
  const std::string shown = redact_uri(conninfo);
  if (!conninfo.empty() && shown != conninfo)
    for (std::size_t p = 0; (p = s.find(conninfo, p)) != std::string::npos; p += shown.size())
      s.replace(p, conninfo.size(), shown);
  // double-quoted tokens (libpq quotes what it could not read) holding a piece of a password
  for (std::size_t open = s.find('"'); open != std::string::npos;) {
    const auto close = s.find('"', open + 1);
    if (close == std::string::npos) break;
    const std::string_view token(s.data() + open + 1, close - open - 1);
    const bool holds = std::any_of(pieces.begin(), pieces.end(), [&](const std::string& p) {
      return !p.empty() && find_secret(token, p, 0) != std::string_view::npos;
    });
    if (holds) s.replace(open + 1, close - open - 1, "***");
    const auto next = holds ? open + 5 : close + 1;
    open = next < s.size() ? s.find('"', next) : std::string::npos;
  }
  // elsewhere: every occurrence
  for (const auto& sec : secrets)
    if (!sec.empty())
      for (std::size_t p = 0; (p = find_secret(s, sec, p)) != std::string::npos; p += 3)
        s.replace(p, sec.size(), "***");
  return s;
}

std::unique_ptr<DbConnection> open_db(const std::string& uri, bool write) {
  if (const auto path = sqlite_path(uri)) {
    if (path->empty()) throw InputError("sqlite: no database file given (sqlite:PATH)");
    return open_sqlite(*path, write);
  }
  return open_postgres(uri);
}

namespace {

/// Runs `body` in a write transaction on `tables`: refused when one of them would vanish with the
/// connection; the tables locked against other rapport writers first (so two runs never
/// interleave, nor race to create a table); committed when `body` returns, rolled back when it throws.
void in_write_transaction(DbConnection& db, const std::vector<DbName>& tables, const std::function<void()>& body) {
  for (const auto& t : tables)
    if (const auto why = db.cannot_write(t); !why.empty())
      throw OutputError(t.display() + ": refusing to write: " + why);
  db.begin_write();
  try {
    db.lock_for_write(tables);
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

/// The score table's columns: the scores CSV's, with the six interval columns (REAL) after them when `res`
/// carries intervals (as the CSV has them).
std::vector<DbColumn> score_table_columns(const ScoreResult& res) {
  std::vector<DbColumn> out;
  for (const auto& c : score_columns()) {
    DbType t = DbType::real;
    if (c == "customer_id" || c == "next_action" || c == "root_id")
      t = DbType::text;
    else if (c == "ask_for_referral")
      t = DbType::boolean;
    else if (c == "direct_referrals" || c == "converted_referrals" || c == "generation" || c == "tree_size")
      t = DbType::integer;
    out.push_back({c, t});
  }
  if (!res.scores.intervals.p_alive_lo.empty())
    for (const auto& c : interval_columns()) out.push_back({c, DbType::real});
  return out;
}

constexpr std::array<const char*, 7> history_score_columns{"customer_id",     "loyalty_given", "upserve_value",
                                                           "upserve_score",   "next_action",   "referral_potential",
                                                           "ask_for_referral"};

/// The history table's columns: as_of, the history columns of the scores and the six interval columns when `res`
/// carries intervals.
std::vector<DbColumn> history_table_columns(const ScoreResult& res) {
  const auto scores = score_table_columns(res);
  std::vector<DbColumn> out{{"as_of", DbType::date}};
  for (const char* name : history_score_columns)
    for (const auto& c : scores)
      if (c.name == name) out.push_back(c);
  if (!res.scores.intervals.p_alive_lo.empty())
    for (const auto& c : interval_columns()) out.push_back({c, DbType::real});
  return out;
}

const std::vector<DbColumn>& run_table_columns() {
  static const std::vector<DbColumn> cols{
      {"as_of", DbType::date},        {"started_at", DbType::timestamp},  {"ended_at", DbType::timestamp},
      {"rows_read", DbType::integer}, {"rows_rejected", DbType::integer}, {"parameters", DbType::text},
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

/// Inserts a batch's score rows into the out table (its columns: score_table_columns()).
void insert_scores(DbConnection& db, const DbName& name, const CustomerBase& base, const ScoreResult& batch) {
  auto ins = db.insert(name, score_table_columns(batch));
  for_each_score_row(base, batch, [&](const std::vector<std::string_view>& f) { ins->add(f); });
  ins->finish();
}

// Replaces the rows of the customers of result rows `rows` (deleted by key, then inserted): the
// deletes come first, since a PostgreSQL COPY holds the connection until it ends.
void upsert_scores(DbConnection& db, const DbName& name, const CustomerBase& base, const ScoreResult& res,
                   const std::vector<std::uint32_t>& rows) {
  const auto cols = score_table_columns(res);
  ensure_table(db, name, cols);
  db.index(name, "customer_id");
  for (const auto r : rows) db.remove(name, "customer_id", base.customer_id[res.scores.customer[r]]);
  auto ins = db.insert(name, cols);
  std::string text;
  for (const auto r : rows) format_score_row(text, base, res, r);
  CsvReader reader(text, "scores");
  CsvRecord rec;
  while (reader.next(rec)) ins->add(rec.fields);
  ins->finish();
}

/// Inserts a batch's rows into the history table (its columns: history_table_columns()).
void insert_history(DbConnection& db, const DbName& name, const CustomerBase& base, const ScoreResult& batch) {
  const auto cols = history_table_columns(batch);
  const std::string as_of = format_date(batch.as_of);
  std::vector<std::size_t> pick;                   // score column index of each history column after as_of
  std::vector<std::string> all = score_columns();  // the fields of a score row: its columns, then any intervals
  for (const auto& c : interval_columns()) all.push_back(c);
  for (std::size_t k = 1; k < cols.size(); ++k)
    pick.push_back(static_cast<std::size_t>(std::find(all.begin(), all.end(), cols[k].name) - all.begin()));
  auto ins = db.insert(name, cols);
  std::vector<std::string_view> row(cols.size());
  row[0] = as_of;
  for_each_score_row(base, batch, [&](const std::vector<std::string_view>& f) {
    for (std::size_t k = 0; k < pick.size(); ++k) row[k + 1] = f[pick[k]];
    ins->add(row);
  });
  ins->finish();
}

/// Adds the runs table's row of one run (created when missing).
void write_run(DbConnection& db, const DbName& name, const LoadReport& report, day_t as_of, const Summary& s,
               const DbRun& run) {
  ensure_table(db, name, run_table_columns());
  const std::string summary = to_json(s);
  const std::string params = value_models_json(s);
  const std::size_t read = report.customers.read + report.contacts.read + report.purchases.read + report.referrals.read;
  const std::string cells[] = {format_date(as_of),
                               format_timestamp(run.started),
                               format_timestamp(run.ended),
                               std::to_string(read),
                               std::to_string(report.total_rejected()),
                               params,
                               summary};
  auto ins = db.insert(name, run_table_columns());
  ins->add(std::vector<std::string_view>(std::begin(cells), std::end(cells)));
  ins->finish();
}

/// The one write-back (DbScoresWriter): one write transaction, begun at the first run's start;
/// each run's tables are prepared at its start (its first batch, or its end without a batch: the
/// columns follow that result, as the scores CSV's header does), its rows inserted batch by batch.
class DbWriter final : public DbScoresWriter {
public:
  DbWriter(const std::string& uri, const DbWriteOptions& tables, const CustomerBase& base, const LoadReport& report)
      : base_(base), report_(report) {
    if (!tables.out_table.empty()) out_ = parse_db_name(tables.out_table, "--out-table");
    if (!tables.history_table.empty()) history_ = parse_db_name(tables.history_table, "--history-table");
    if (!tables.runs_table.empty()) runs_ = parse_db_name(tables.runs_table, "--runs-table");
    for (const auto* t : {&out_, &history_, &runs_})
      if (*t) written_.push_back(**t);
    if (written_.empty()) return;  // nothing to write: no connection
    db_ = open_db(uri, true);
    for (const auto& t : written_)
      if (const auto why = db_->cannot_write(t); !why.empty())
        throw OutputError(t.display() + ": refusing to write: " + why);
  }
  ~DbWriter() override {
    if (begun_) db_->rollback();
  }
  DbWriter(const DbWriter&) = delete;
  DbWriter& operator=(const DbWriter&) = delete;

  void rows(const ScoreResult& batch, std::size_t first) override {
    guarded([&] {
      if (!in_run_) start_run(batch);
      if (first != next_)
        throw InputError("database write-back: batch of rows from " + std::to_string(first) + " where row " +
                         std::to_string(next_) + " was expected");
      next_ += batch.scores.size();
      if (batch.scores.size() == 0) return;
      if (out_) insert_scores(*db_, *out_, base_, batch);
      if (history_) insert_history(*db_, *history_, base_, batch);
    });
  }
  void end_run(const ScoreResult& run, const DbRun& times, const Summary* summary) override {
    guarded([&] {
      if (runs_ && !summary) throw InputError("database write-back: the runs table needs the run's summary");
      if (!in_run_) start_run(run);
      if (runs_) write_run(*db_, *runs_, report_, run.as_of, *summary, times);
      in_run_ = false;
    });
  }
  bool needs_summary() const noexcept override { return runs_.has_value(); }
  void commit() override {
    if (failed_) throw OutputError("database write-back: an earlier step failed, the transaction was rolled back");
    if (in_run_) throw OutputError("database write-back: a run was not ended (end_run) before the commit");
    if (!begun_) return;
    begun_ = false;
    try {
      db_->commit();
    } catch (...) {
      failed_ = true;  // nothing more may be written into a later transaction by this writer
      db_->rollback();
      throw;
    }
  }

private:
  /// Runs a step of the transaction; a failure rolls everything back (nothing is written then).
  template <class F>
  void guarded(F&& step) {
    if (failed_) throw OutputError("database write-back: an earlier step failed, the transaction was rolled back");
    try {
      step();
    } catch (...) {
      failed_ = true;
      if (begun_) db_->rollback();
      begun_ = false;
      throw;
    }
  }
  /// A run's start: the transaction begun (the tables locked) at the first run, the out table
  /// emptied, the history rows of the run's as_of removed.
  void start_run(const ScoreResult& res) {
    if (written_.empty()) {
      in_run_ = true, next_ = 0;
      return;
    }
    if (!begun_) {
      db_->begin_write();
      begun_ = true;
      db_->lock_for_write(written_);
    }
    if (out_) {
      ensure_table(*db_, *out_, score_table_columns(res));
      db_->remove(*out_);
    }
    if (history_) {
      ensure_table(*db_, *history_, history_table_columns(res));
      db_->remove(*history_, "as_of", format_date(res.as_of));
    }
    in_run_ = true;
    next_ = 0;
  }

  const CustomerBase& base_;
  const LoadReport& report_;
  std::optional<DbName> out_, history_, runs_;
  std::vector<DbName> written_;
  std::unique_ptr<DbConnection> db_;
  bool begun_ = false, in_run_ = false, failed_ = false;
  std::size_t next_ = 0;  ///< the current run's next row
};

// ---- import: the accepted rows of a base, spelled as CSV, into native columns

struct ImportTable {
  DbName name;
  std::vector<DbColumn> columns;
};

/// Writes `n` rows into `t`, each spelled by `spell`; a row with a value the database cannot store,
/// or one `blocked` names a reason for (its customer was not stored), is rejected instead. Returns
/// which rows were stored.
std::vector<bool> import_rows(DbConnection& db, const ImportTable& t, std::size_t n,
                              const std::function<void(std::size_t, std::vector<std::string>&)>& spell,
                              const TableSchema& schema, TableCounts& counts, const std::string& file, RejectSink& sink,
                              const std::function<std::string(std::size_t)>& blocked = {}) {
  ensure_table(db, t.name, t.columns);
  if (db.has_rows(t.name))
    throw OutputError(t.name.display() + ": table already holds rows; import writes into new or empty tables");
  ColumnMap columns;
  for (const auto& c : t.columns) columns.header.push_back(c.name);
  auto ins = db.insert(t.name, t.columns);
  std::vector<std::string> cells(t.columns.size());
  std::vector<std::string_view> views(t.columns.size());
  std::vector<bool> stored(n, true);
  std::string raw;
  for (std::size_t i = 0; i < n; ++i) {
    spell(i, cells);
    RowError e{RowError::whole_row, 0, blocked ? blocked(i) : std::string()};
    for (std::size_t k = 0; k < cells.size() && e.reason.empty(); ++k) {
      if (cells[k].empty()) continue;
      e.reason = db.cannot_store(t.columns[k].type, cells[k]);
      if (!e.reason.empty()) e.reason = "cannot be stored: " + e.reason, e.column = k + 1;
    }
    if (!e.reason.empty()) {
      stored[i] = false;
      raw.clear();
      for (std::size_t k = 0; k < cells.size(); ++k) {
        if (k) raw.push_back(',');
        append_csv_field(raw, cells[k]);
      }
      sink.reject(schema, counts, file, columns, 0, e, raw);
      continue;
    }
    for (std::size_t k = 0; k < cells.size(); ++k) views[k] = cells[k];
    ins->add(views);
  }
  ins->finish();
  return stored;
}

void import_base(DbConnection& db, const DbTables& tables, const CustomerBase& b, const InputFiles& files,
                 LoadReport& report, const LoadOptions& options) {
  using T = DbType;
  RejectSink sink(report, options);
  // ended_on only when some customer has one (a base without it keeps today's table)
  std::vector<DbColumn> customer_columns{{"customer_id", T::text}, {"acquired_on", T::date}, {"segment", T::text}};
  if (!b.ended_on.empty()) customer_columns.push_back({"ended_on", T::date});
  const auto stored_customers = import_rows(
      db, {parse_db_name(tables.customers, "customers"), customer_columns}, b.customer_count(),
      [&](std::size_t i, std::vector<std::string>& c) {
        c = {b.customer_id[i], format_date(b.acquired_on[i]), b.segment_names[b.segment[i]]};
        if (!b.ended_on.empty()) c.push_back(b.ended_on[i] == no_day ? std::string() : format_date(b.ended_on[i]));
      },
      customers_schema(), report.customers, files.customers, sink);
  const auto not_stored = [&](const std::vector<std::uint32_t>& owner) {
    return [&](std::size_t k) {
      return stored_customers[owner[k]] ? std::string() : "customer " + b.customer_id[owner[k]] + " was not stored";
    };
  };
  const auto resolved = b.resolved_at_column();
  std::vector<std::uint32_t> contact_owner(b.contact_count()), purchase_owner(b.purchase_count());
  for (std::size_t c = 0; c < b.customer_count(); ++c) {
    for (auto k = b.contact_offsets[c]; k < b.contact_offsets[c + 1]; ++k)
      contact_owner[k] = static_cast<std::uint32_t>(c);
    for (auto k = b.purchase_offsets[c]; k < b.purchase_offsets[c + 1]; ++k)
      purchase_owner[k] = static_cast<std::uint32_t>(c);
  }
  import_rows(
      db,
      {parse_db_name(tables.contacts, "contacts"),
       {{"customer_id", T::text},
        {"at", T::timestamp},
        {"channel", T::text},
        {"stage", T::text},
        {"initiator", T::text},
        {"aspect", T::text},
        {"impression", T::integer},
        {"complaint", T::boolean},
        {"resolved_at", T::timestamp}}},
      b.contact_count(),
      [&](std::size_t k, std::vector<std::string>& c) {
        c = {b.customer_id[contact_owner[k]],
             format_timestamp(b.contact_at[k]),
             std::string(to_string(b.contact_channel[k])),
             std::string(to_string(b.contact_stage[k])),
             std::string(to_string(b.contact_initiator[k])),
             std::string(to_string(b.contact_aspect[k])),
             std::to_string(b.contact_impression[k]),
             b.contact_complaint[k] ? "true" : "false",
             resolved[k] == no_time ? std::string() : format_timestamp(resolved[k])};
      },
      contacts_schema(), report.contacts, files.contacts, sink, not_stored(contact_owner));
  import_rows(
      db,
      {parse_db_name(tables.purchases, "purchases"),
       {{"customer_id", T::text}, {"at", T::timestamp}, {"amount", T::real}}},
      b.purchase_count(),
      [&](std::size_t k, std::vector<std::string>& c) {
        std::string amount;
        spell_double(b.purchase_amount[k], amount);
        c = {b.customer_id[purchase_owner[k]], format_timestamp(b.purchase_at[k]), amount};
      },
      purchases_schema(), report.purchases, files.purchases, sink, not_stored(purchase_owner));
  import_rows(
      db,
      {parse_db_name(tables.referrals, "referrals"),
       {{"referrer_id", T::text}, {"referred_id", T::text}, {"at", T::timestamp}}},
      b.referral_count(),
      [&](std::size_t k, std::vector<std::string>& c) {
        c = {b.person(b.referral_from[k]), b.person(b.referral_to[k]), format_timestamp(b.referral_at[k])};
      },
      referrals_schema(), report.referrals, files.referrals, sink);
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
    if (eq == std::string_view::npos) throw ConfigError("--tables: '" + std::string(item) + "' is not TABLE=NAME");
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    std::string* slot = key == "customers"   ? &t.customers
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
  const auto spans = detail::password_spans(uri);
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) s.erase(it->begin, it->end - it->begin);
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

namespace {

// write_db and write_db_all: `produce` stores each result through the one writer, in one
// transaction; `summary` (for a single result whose summary the caller has) renders its runs row.
void write_results(const std::string& uri, const DbWriteOptions& tables, const CustomerBase& base,
                   const LoadReport& report, const ScoringConfig& config,
                   const std::function<void(const DbStore& store)>& produce, const Summary* summary) {
  if (!tables.any()) return;
  auto writer = open_db_writer(uri, tables, base, report);
  produce([&](const ScoreResult& result, const DbRun& run) {
    writer->rows(result, 0);
    std::optional<Summary> computed;
    if (writer->needs_summary() && !summary) computed = summarize(base, report, result, config);
    writer->end_run(result, run, summary ? summary : computed ? &*computed : nullptr);
  });
  writer->commit();
}

}  // namespace

std::unique_ptr<DbScoresWriter> open_db_writer(const std::string& uri, const DbWriteOptions& tables,
                                               const CustomerBase& base, const LoadReport& report) {
  return std::make_unique<detail::DbWriter>(uri, tables, base, report);
}

void write_db(const std::string& uri, const DbWriteOptions& tables, const CustomerBase& base, const LoadReport& report,
              const ScoreResult& result, const ScoringConfig& config, const DbRun& run, const Summary* summary) {
  write_results(
      uri, tables, base, report, config, [&](const DbStore& store) { store(result, run); }, summary);
}

void write_db_all(const std::string& uri, const DbWriteOptions& tables, const CustomerBase& base,
                  const LoadReport& report, const ScoringConfig& config,
                  const std::function<void(const DbStore& store)>& produce) {
  write_results(uri, tables, base, report, config, produce, nullptr);
}

void upsert_scores_db(const std::string& uri, const std::string& out_table, const CustomerBase& base,
                      const ScoreResult& result, const std::vector<std::uint32_t>& rows) {
  const auto name = detail::parse_db_name(out_table, "--out-table");
  for (const auto r : rows)
    if (r >= result.scores.size()) throw NotFoundError("upsert_scores_db: no scored row " + std::to_string(r));
  auto db = detail::open_db(uri, true);
  detail::in_write_transaction(*db, {name}, [&] { detail::upsert_scores(*db, name, base, result, rows); });
}

LoadResult import_csv_to_db(const InputFiles& files, const std::string& uri, const DbTables& tables,
                            const LoadOptions& options) {
  std::vector<detail::DbName> written;
  for (const auto* t : {&tables.customers, &tables.contacts, &tables.purchases, &tables.referrals})
    written.push_back(detail::parse_db_name(*t, "table"));
  auto loaded = load_csv(files, options);
  auto db = detail::open_db(uri, true);
  detail::in_write_transaction(*db, written,
                               [&] { detail::import_base(*db, tables, loaded.base, files, loaded.report, options); });
  return loaded;
}

}  // namespace rapport
