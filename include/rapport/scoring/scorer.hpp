/// @file scorer.hpp
/// Live scoring: a Scorer keeps a base and its scores, takes batches of new rows and rescores
/// only the customers they touch.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>
#include <rapport/scoring/config.hpp>
#include <rapport/scoring/score.hpp>
#include <rapport/scoring/summary.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rapport {

/// A new customer row (as the customers table has it).
struct CustomerRow {
  std::string customer_id;  ///< key
  day_t acquired_on = 0;    ///< acquisition date
  std::string segment;      ///< segment ("" = none)
  day_t ended_on = no_day;  ///< the day the contract ended (no_day while active)
};

/// A new contact row: the customer's key and the contact.
struct ContactEntry {
  std::string customer_id;  ///< whose contact
  ContactRow row;           ///< the contact
};

/// A new purchase row.
struct PurchaseRow {
  std::string customer_id;  ///< who bought
  seconds_t at = 0;         ///< when (UTC)
  double amount = 0;        ///< amount (>= 0)
};

/// A new referral row.
struct ReferralRow {
  std::string referrer_id;  ///< who referred
  std::string referred_id;  ///< who was referred
  seconds_t at = 0;         ///< when (UTC)
};

/// One batch of new rows for Scorer::add. Within a batch the tables are taken in the order
/// customers, contacts, purchases, referrals (so a batch's contacts may name its new customers).
struct RowBatch {
  std::vector<CustomerRow> customers;  ///< new customers
  std::vector<ContactEntry> contacts;  ///< new contacts
  std::vector<PurchaseRow> purchases;  ///< new purchases
  std::vector<ReferralRow> referrals;  ///< new referrals
};

/// Live scoring of one base at one as-of date.
///
/// The Scorer fits the value models once when built (or takes the parameters the config gives)
/// and keeps them until refit(). add() validates new rows by the same row rules as every other
/// source (rejects reported in a LoadReport, as load_csv does); scores() then applies them and
/// rescores only the customers whose inputs changed — new customers, customers with new contacts
/// or purchases, and customers whose referral results (track record, chain reach) changed when
/// the referral forest is rebuilt — and updates the base-wide upserve ranks without re-sorting.
///
/// Rows in any order: a contact or purchase whose customer has not been added yet is held
/// (TableCounts::pending, up to ScorerOptions::max_pending_rows) and applied when the customer
/// arrives, so the order of add() calls does not matter. Referrals need no customer (they name
/// prospects until the customer arrives), so they are never held.
///
/// Exactness: scores() equals, value for value, score(base(), as_of(), config()) of every row
/// added so far (config() holds the model parameters in force). When a value model could not be
/// fitted (too little data), config() has no parameters for it and every scores() retries the fit
/// over all rows, exactly as score() would. Rows still held count as a full run of the same rows
/// counts them: rejected as unknown customers (summary()), and in no score.
///
/// Storage: contacts and purchases stay grouped by customer (CSR); applying a batch moves the
/// column tails once (O(total rows) memmove, O(customers) offsets), in place.
///
/// Thread safety: every member function takes one internal mutex, so calls from several threads
/// are serialised and cannot corrupt the state. The reference scores() returns stays valid and
/// unchanged until the next scores(), refit() or set_as_of() call (add() does not touch it);
/// use with_scores() to read the base and the scores together under the lock.
class RAPPORT_API Scorer {
public:
  /// Scores `base` as of `as_of` (default: base.default_as_of()) with `config`, fitting the value
  /// models unless the config gives their parameters. `report` is the base's load report (its
  /// counts go into summary()).
  /// `options`: the Scorer's own settings (how many rows it holds for customers not added yet).
  /// @throws ConfigError for an invalid config or options; InputError for an empty base without as-of.
  explicit Scorer(CustomerBase base, std::optional<day_t> as_of = std::nullopt, const ScoringConfig& config = {},
                  LoadReport report = {}, const ScorerOptions& options = {});
  ~Scorer();
  Scorer(const Scorer&) = delete;
  Scorer& operator=(const Scorer&) = delete;

  /// Validates and queues a batch of rows; returns the batch's load report (rows read and
  /// rejected per table, each reject with table, "<table>" as file, line = row index + 2, column
  /// and reason). Accepted rows count from the next scores(). A contact or purchase of a customer
  /// not added yet is held (counted in the report's `pending`, not rejected) and applied when
  /// the customer arrives; one that would hold more than ScorerOptions::max_pending_rows rows is
  /// rejected ("unknown customer (not held: max_pending_rows reached)"). A held row with another
  /// defect is rejected at once for that defect.
  /// @throws InputError in strict mode on the first rejected row (rows before it stay added).
  LoadReport add(const RowBatch& batch, const LoadOptions& options = {});

  /// Applies the queued rows and returns the scores of every scored customer.
  const ScoreResult& scores();
  /// How many customers the last scores() (or refit() / set_as_of()) recomputed.
  std::size_t rescored() const;
  /// The config in force: the one given, with the value models' parameters in use.
  ScoringConfig config() const;
  /// The as-of date.
  day_t as_of() const;
  /// Moves the as-of date and rescores every customer (model parameters kept).
  void set_as_of(day_t as_of);
  /// Applies the queued rows and refits the value models (the given config's parameters, if any,
  /// are used instead), then rescores every customer.
  void refit();
  /// The base-wide summary of the current scores (load counts include every batch added). Rows
  /// still held are counted as rejected unknown-customer rows, as a full run of the same rows
  /// would count them, and also as `pending` (Summary::live is set).
  Summary summary();
  /// The load report of everything added (the base's report and every batch's): rows read,
  /// rejected and still held (`pending`, not counted in `rejected` here) per table.
  LoadReport report() const;
  /// The rows of scores() rescored since the last changes() (or since construction), ascending,
  /// after applying the queued rows; then starts a new change set. A refit() or set_as_of()
  /// puts every row in it. upserve_score is a base-wide rank: rows that were not rescored keep
  /// theirs, which may lag the current ranks by the share of rows that moved past them.
  std::vector<std::uint32_t> changes();
  /// Runs `f(base, scores, rows)` under the lock with `rows` = changes(); the change set is
  /// started anew only when `f` returns (an exception keeps it, e.g. for a failed write-back).
  void with_changes(
      const std::function<void(const CustomerBase&, const ScoreResult&, const std::vector<std::uint32_t>&)>& f);
  /// One customer's explanation (explain_json) by row of scores(), or by customer key.
  /// @throws NotFoundError for an unknown row or key, or a customer not scored.
  std::string explain(std::size_t row);
  /// See explain(std::size_t).
  std::string explain(std::string_view customer_id);
  /// Runs `f(base, scores)` under the lock after applying the queued rows (as scores() does).
  void with_scores(const std::function<void(const CustomerBase&, const ScoreResult&)>& f);
  /// A copy of the base with every accepted row (queued rows applied).
  CustomerBase base();

  struct Impl;  ///< implementation (opaque)

private:
  friend struct detail_scorer_access;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rapport
