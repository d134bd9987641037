// Private: the live Scorer's row intake for sources that convert their own fields (the
// DataFrame bindings). The add_*_row overloads take the same arguments as the builder's
// (rows.hpp) and apply the same row rules, so a source feeds a Scorer exactly as it feeds a
// CustomerBaseBuilder.
#pragma once

#include <rapport/scoring/scorer.hpp>

#include "base/rows.hpp"

#include <functional>
#include <string_view>

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

}  // namespace rapport::detail
