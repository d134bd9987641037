// rapport CLI: databases. The command bodies; main.cpp only wires them in.
#include "db_command.hpp"

#include <chrono>
#include <cstdio>

namespace rapport_cli {

namespace {
rapport::seconds_t now_utc() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

void add_db_options(CLI::App& command, DbArgs& args, bool write) {
  command.add_option("--db", args.db,
                     "Read the tables customers, contacts, purchases, referrals from this database: sqlite:PATH");
  command.add_option("--tables", args.tables,
                     "Table names in the database, e.g. customers=crm.clients,contacts=crm.touches");
  if (!write) return;
  command.add_option("--out-table", args.out_table, "Write the scores into this table (replacing the previous run's)");
  command.add_option("--history-table", args.history_table,
                     "Keep the headline scores per as-of date in this table (replacing the same as-of's)");
  command.add_option("--runs-table", args.runs_table,
                     "Record each run in this table when writing (default rapport_runs; \"\" for none)");
}

rapport::DbWriteOptions write_options(const DbArgs& args) {
  return {args.out_table, args.history_table, args.runs_table};
}

rapport::LoadResult load_from_db(DbArgs& args, const rapport::LoadOptions& options) {
  args.started = now_utc();
  write_options(args).validate();  // the tables written at the end are named correctly, or nothing is read
  rapport::DbOptions o;
  o.tables = rapport::DbTables::parse(args.tables);
  o.load = options;
  return rapport::load_db(args.db, o);
}

void write_back_if_asked(const DbArgs& args, const rapport::CustomerBase& base, const rapport::LoadReport& report,
                         const rapport::ScoreResult& result, const rapport::ScoringConfig& config) {
  if (args.out_table.empty() && args.history_table.empty()) return;
  if (args.db.empty()) throw rapport::ConfigError("--out-table and --history-table need --db URI");
  rapport::write_db(args.db, write_options(args), base, report, result, config, {args.started, now_utc()});
  std::fprintf(stderr, "wrote %zu scores to %s%s%s\n", result.scores.size(), rapport::redact_uri(args.db).c_str(),
               args.out_table.empty() ? "" : (" table " + args.out_table).c_str(),
               args.history_table.empty() ? "" : (" history " + args.history_table).c_str());
}

CLI::App* add_import_command(CLI::App& app, ImportArgs& args) {
  auto* cmd = app.add_subcommand("import", "Load CSV files into a database's four tables (native types)");
  cmd->add_option("DIR", args.dir, "Directory with customers.csv [contacts.csv purchases.csv referrals.csv]")->required();
  add_db_options(*cmd, args.db, false);
  cmd->get_option("--db")->required();
  cmd->add_flag("--strict", args.strict, "Any rejected row is an error (nothing is written)");
  return cmd;
}

int run_import(const ImportArgs& args) {
  rapport::LoadOptions lopt;
  lopt.strict = args.strict;
  const auto tables = rapport::DbTables::parse(args.db.tables);
  const auto loaded = rapport::import_csv_to_db(rapport::InputFiles::from_directory(args.dir), args.db.db, tables, lopt);
  const auto& b = loaded.base;
  const auto& rep = loaded.report;
  std::printf("imported into %s: %zu customers, %zu contacts, %zu purchases, %zu referrals (%zu rows rejected)\n",
              rapport::redact_uri(args.db.db).c_str(), b.customer_count(), b.contact_count(), b.purchase_count(),
              b.referral_count(), rep.total_rejected());
  if (rep.total_rejected())
    std::fprintf(stderr, "rejected rows: customers %zu, contacts %zu, purchases %zu, referrals %zu "
                 "(`rapport score %s --rejects F.csv` lists each with file, line, column and reason)\n",
                 rep.customers.rejected, rep.contacts.rejected, rep.purchases.rejected, rep.referrals.rejected,
                 args.dir.c_str());
  return 0;
}

}  // namespace rapport_cli
