// Private: the live Scorer's row intake for sources that convert their own fields (the
// DataFrame bindings). The add_*_row overloads take the same arguments as the builder's
// (rows.hpp) and apply the same row rules, so a source feeds a Scorer exactly as it feeds a
// CustomerBaseBuilder.
#pragma once

#include <rapport/scoring/scorer.hpp>

#include "base/rows.hpp"
#include "scoring/score_steps.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::detail {

/// A Scorer taking rows, valid inside add_rows' `feed` (the Scorer's lock is held).
struct ScorerRows {
  Scorer::Impl& impl;  ///< the Scorer's state
};

/// The row rules into a Scorer; false with `e` when the row is rejected.
RAPPORT_API bool add_customer_row(ScorerRows& rows, std::string_view id, day_t acquired_on, std::string_view segment,
                                  day_t ended_on, const RowError* failure, RowError& e);
/// See add_customer_row(ScorerRows&, …).
RAPPORT_API bool add_contact_row(ScorerRows& rows, std::string_view customer_id, const ContactRow& row,
                                 const RowError* failure, RowError& e);
/// See add_customer_row(ScorerRows&, …).
RAPPORT_API bool add_purchase_row(ScorerRows& rows, std::string_view customer_id, seconds_t at, double amount,
                                  const RowError* failure, RowError& e);
/// See add_customer_row(ScorerRows&, …).
RAPPORT_API bool add_referral_row(ScorerRows& rows, std::string_view referrer, std::string_view referred, seconds_t at,
                                  const RowError* failure, RowError& e);

/// Runs `feed(rows, sink)` under the Scorer's lock: it hands rows to the add_*_row overloads and
/// rejects into `sink` (whose report counts the batch). Returns the batch's report, which is also
/// added to the Scorer's (summary()); the rows count from the next scores().
/// @throws whatever `feed` throws (InputError in strict mode); rows before it stay added.
RAPPORT_API LoadReport add_rows(Scorer& scorer, const LoadOptions& options,
                                const std::function<void(ScorerRows&, RejectSink&)>& feed);

/// The Scorer's interval draws (step (a) of the intervals, score_steps.hpp): made from the whole base whenever the
/// Scorer fits its models (construction, refit(), a model that could not be fitted before) and kept with the
/// parameters; every batch's rows are evaluated under them. Empty when the config asks for no intervals.
RAPPORT_API IntervalDraws interval_draws(Scorer& scorer);

/// Rows of a result as a result of their own (Scorer::changes() for the Python DataFrame):
/// row i is customer i of `base`, which holds only the rows' customer keys; the forest's
/// per-customer columns follow them and `root_id` holds each row's root key.
struct RowsExtract {
  CustomerBase base;                 ///< customer_id of each row's customer, in row order
  ScoreResult result;                ///< the rows' scores (customer = row), forest columns per row
  std::vector<std::string> root_id;  ///< the root's key per row
};

/// The rows `rows` of `result` (a result of `base`), O(rows).
RAPPORT_API RowsExtract extract_rows(const CustomerBase& base, const ScoreResult& result,
                                     const std::vector<std::uint32_t>& rows);

}  // namespace rapport::detail
