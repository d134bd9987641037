// Reading a database in ranges in one snapshot (rapport.dask.read_db): a read transaction held open
// whose snapshot other connections import, and the read of some tables (or heap page ranges of
// them) in it through the same backend reader as load_db.
#include "db/db_connection.hpp"

#include <rapport/error.hpp>

namespace rapport::detail {

bool snapshot_id_ok(std::string_view id) noexcept {
  return !id.empty() && id.find_first_not_of("0123456789ABCDEFabcdef-") == std::string_view::npos;
}

void read_in_snapshot(const std::string& uri, const std::string& snapshot, const std::vector<DbRead>& reads,
                      const std::function<void(std::size_t, RecordSource&)>& each) {
  auto db = open_db(uri, false);
  if (snapshot.empty())
    db->begin_read();
  else
    db->begin_read_in(snapshot);
  try {
    for (std::size_t i = 0; i < reads.size(); ++i) {
      if (db->columns(reads[i].name).empty()) throw InputError(reads[i].name.display() + ": table not found");
      auto source = db->read(reads[i].name, reads[i].pages);
      each(i, *source);
    }
    db->commit();
  } catch (...) {
    db->rollback();
    throw;
  }
}

DbSnapshot::DbSnapshot(const std::string& uri, const DbTables& tables) {
  const std::pair<const char*, const std::string*> named[4] = {{"customers", &tables.customers},
                                                               {"contacts", &tables.contacts},
                                                               {"purchases", &tables.purchases},
                                                               {"referrals", &tables.referrals}};
  std::vector<DbName> names;
  for (const auto& [key, name] : named) names.push_back(parse_db_name(*name, std::string(key) + " table"));
  db_ = open_db(uri, false);
  try {
    db_->begin_read();
    id_ = db_->snapshot();
    if (id_.empty() && !sqlite_path(uri))
      throw InputError(redact_uri(uri) + ": the server exports no snapshot (a standby): read it with load_db");
    for (std::size_t k = 0; k < 4; ++k) {
      auto columns = db_->columns(names[k]);
      if (columns.empty()) {
        if (k == 0) throw InputError(names[0].display() + ": customers table not found");
        continue;
      }
      const auto pages = db_->pages(names[k]);
      tables_.push_back({named[k].first, names[k], std::move(columns), pages});
    }
    // SQLite: no snapshot to share; its read happens later in the task's own transaction, so
    // the handle keeps none open (one would block every writer of a rollback-journal file)
    if (id_.empty()) db_->rollback();
  } catch (...) {
    close();
    throw;
  }
}

DbSnapshot::~DbSnapshot() { close(); }

void DbSnapshot::close() noexcept {
  if (!db_) return;
  db_->rollback();  // a read-only transaction: nothing to keep
  db_.reset();
}

}  // namespace rapport::detail
