// rapport CLI: databases. Reading the tables from --db, writing scores back, `rapport import`.
#include "cli.hpp"

#include "db/db_module.hpp"

#include <chrono>
#include <cstdio>

namespace rapport::cli {

DbWriteOptions write_options(const DbArgs& db) { return {db.out_table, db.history_table, db.runs_table}; }

bool writes_back(const DbArgs& db) { return !db.out_table.empty() || !db.history_table.empty(); }

namespace {}  // namespace

seconds_t now_utc() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void check_db_args(const DbArgs& db, bool csv_inputs) {
  if (db.uri.empty()) {
    if (writes_back(db)) throw ConfigError("--out-table and --history-table need --db URI");
    if (!db.tables.empty()) throw ConfigError("--tables needs --db URI");
    return;
  }
  if (csv_inputs)
    throw ConfigError(
        "--db reads every table from the database: give no DIR, --customers, --contacts, "
        "--purchases or --referrals with it");
  db_functions().parse_tables(db.tables);
  db_functions().validate_write_options(
      write_options(db));  // the tables written at the end are named correctly, or nothing is read
}

std::vector<NamedPath> db_file_paths(const std::string& uri) {
  if (uri.empty()) return {};  // no database: the module is not loaded
  const auto path = db_functions().sqlite_path(uri);
  if (!path || path->empty()) return {};
  return {{"--db", *path}};
}

LoadResult load_db_tables(const DbArgs& db, const LoadOptions& options) {
  DbOptions o;
  o.tables = db_functions().parse_tables(db.tables);
  o.load = options;
  return db_functions().load_db(db.uri, o);
}

bool writes_run(const DbArgs& db) { return writes_back(db) && !db.runs_table.empty(); }

void write_back(const DbArgs& db, const LoadResult& loaded, const ScoreResult& result, const ScoringConfig& config,
                seconds_t started, const Summary* summary) {
  if (!writes_back(db)) return;
  db_functions().write_db(db.uri, write_options(db), loaded.base, loaded.report, result, config, {started, now_utc()},
                          summary);
  print_written_back(db, result.scores.size());
}

std::unique_ptr<DbScoresWriter> open_write_back(const DbArgs& db, const LoadResult& loaded) {
  if (!writes_back(db)) return nullptr;
  return db_functions().open_db_writer(db.uri, write_options(db), loaded.base, loaded.report);
}

void print_written_back(const DbArgs& db, std::size_t scores) {
  std::fprintf(stderr, "wrote %zu scores to %s%s%s\n", scores, db_functions().redact_uri(db.uri).c_str(),
               db.out_table.empty() ? "" : (" table " + db.out_table).c_str(),
               db.history_table.empty() ? "" : (" history " + db.history_table).c_str());
}

int run_import(ImportArgs args) {
  const auto files = InputFiles::from_directory(args.dir);
  const auto tables = db_functions().parse_tables(args.tables);
  std::vector<NamedPath> inputs;
  const std::pair<const char*, const std::string*> csv[] = {{"customers", &files.customers},
                                                            {"contacts", &files.contacts},
                                                            {"purchases", &files.purchases},
                                                            {"referrals", &files.referrals}};
  for (const auto& [table, path] : csv)
    if (!path->empty()) inputs.push_back({"DIR " + std::string(table), *path});
  check_outputs(inputs, db_file_paths(args.uri));  // the database file is this command's output
  LoadOptions options;
  options.strict = args.strict;
  // rows the database cannot store come back as rejects with line 0 (the CSV's have a line)
  std::vector<RejectedRow> not_stored;
  std::size_t not_stored_count[4] = {};
  options.on_reject = [&](const RejectedRow& r) {
    if (r.line != 0) return;
    const std::size_t t = r.table == "customers" ? 0 : r.table == "contacts" ? 1 : r.table == "purchases" ? 2 : 3;
    ++not_stored_count[t];
    if (not_stored.size() < 20) not_stored.push_back(r);
  };
  const auto loaded = db_functions().import_csv_to_db(files, args.uri, tables, options);
  const auto& b = loaded.base;
  const auto& rep = loaded.report;
  const std::size_t unstored = not_stored_count[0] + not_stored_count[1] + not_stored_count[2] + not_stored_count[3];
  std::printf("imported into %s: %zu customers, %zu contacts, %zu purchases, %zu referrals (%zu rows rejected)\n",
              db_functions().redact_uri(args.uri).c_str(), b.customer_count() - not_stored_count[0],
              b.contact_count() - not_stored_count[1], b.purchase_count() - not_stored_count[2],
              b.referral_count() - not_stored_count[3], rep.total_rejected());
  for (const auto& r : not_stored)
    std::fprintf(stderr, "%s: not imported: %s%s: %s\n", r.file.c_str(), r.reason.c_str(),
                 r.column_name.empty() ? "" : (" (column " + r.column_name + ")").c_str(), r.raw.c_str());
  if (unstored > not_stored.size()) std::fprintf(stderr, "... %zu rows not imported in all\n", unstored);
  if (rep.total_rejected() > unstored)
    std::fprintf(stderr,
                 "rejected rows: customers %zu, contacts %zu, purchases %zu, referrals %zu "
                 "(`rapport score %s --rejects F.csv` lists each with file, line, column and reason)\n",
                 rep.customers.rejected - not_stored_count[0], rep.contacts.rejected - not_stored_count[1],
                 rep.purchases.rejected - not_stored_count[2], rep.referrals.rejected - not_stored_count[3],
                 args.dir.c_str());
  return 0;
}

}  // namespace rapport::cli
