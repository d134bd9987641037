/// @file data.hpp
/// The customer base: customers, contacts, purchases and referrals in columnar storage,
/// contacts and purchases grouped by customer (CSR offsets), string keys interned to dense indexes.
#pragma once

#include <rapport/base/time.hpp>
#include <rapport/error.hpp>
#include <rapport/export.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rapport {

/// Contact channel.
enum class Channel : std::uint8_t { visit, phone, email, mail, online, service_call, event, other };
/// Stage of the Critical Wheel (plus service after the sale).
enum class Stage : std::uint8_t { welcome, discovery, presentation, closing, service };
/// Who initiated a contact.
enum class Initiator : std::uint8_t { business, customer };
/// What a contact was about: the service ladder's rungs.
enum class Aspect : std::uint8_t { technical, hospitality, wow };

/// Lower-case name of an enumeration value, as in the CSV files.
RAPPORT_API std::string_view to_string(Channel v) noexcept;
/// Lower-case name of an enumeration value, as in the CSV files.
RAPPORT_API std::string_view to_string(Stage v) noexcept;
/// Lower-case name of an enumeration value, as in the CSV files.
RAPPORT_API std::string_view to_string(Initiator v) noexcept;
/// Lower-case name of an enumeration value, as in the CSV files.
RAPPORT_API std::string_view to_string(Aspect v) noexcept;

/// Parses a `YYYY-MM-DD` date as the CSV files spell it; nullopt when malformed or impossible.
RAPPORT_API std::optional<day_t> parse_date(std::string_view text) noexcept;
/// Parses a timestamp as the CSV files spell it (`YYYY-MM-DD[( |T)HH:MM:SS[Z]]`, UTC).
RAPPORT_API std::optional<seconds_t> parse_timestamp(std::string_view text) noexcept;
/// Formats a day as `YYYY-MM-DD`.
RAPPORT_API std::string format_date(day_t day);
/// Formats an instant as `YYYY-MM-DDTHH:MM:SSZ`.
RAPPORT_API std::string format_timestamp(seconds_t t);

/// One rejected input row: where it was and why.
struct RejectedRow {
  std::string table;        ///< customers, contacts, purchases or referrals
  std::string file;         ///< file name (or "<table>" for in-memory input)
  std::size_t line = 0;     ///< 1-based physical line where the row starts (row index + 2 in memory)
  std::size_t column = 0;   ///< 1-based column (field) number, 0 for the whole row
  std::string column_name;  ///< header name of that column, empty for the whole row
  std::string reason;       ///< human-readable reason
  std::string raw;          ///< the raw row text (CSV input) or empty
};

/// Rows read and rejected for one table.
struct TableCounts {
  std::size_t read = 0;      ///< data rows seen
  std::size_t rejected = 0;  ///< data rows rejected
  /// Rows a live Scorer holds for a customer not added yet: neither accepted nor rejected (0 for
  /// every other source). See docs/live.md.
  std::size_t pending = 0;
};

/// Everything the loader has to say about the input.
struct LoadReport {
  TableCounts customers;  ///< customers table counts
  TableCounts contacts;   ///< contacts table counts
  TableCounts purchases;  ///< purchases table counts
  TableCounts referrals;  ///< referrals table counts
  /// The rejected rows, in input order per table, up to LoadOptions::max_rejects_kept of them
  /// (LoadOptions::on_reject sees every one).
  std::vector<RejectedRow> rejects;
  /// Rows rejected but not stored in `rejects` because LoadOptions::max_rejects_kept was reached
  /// (they are counted in the tables' `rejected` and were passed to LoadOptions::on_reject).
  std::size_t rejects_not_kept = 0;
  /// Total rejected rows over all tables.
  std::size_t total_rejected() const noexcept {
    return customers.rejected + contacts.rejected + purchases.rejected + referrals.rejected;
  }
};

/// A contact (touchpoint) as given to CustomerBaseBuilder::add_contact.
struct ContactRow {
  seconds_t at = 0;                           ///< when it happened (UTC)
  Channel channel = Channel::other;           ///< channel
  Stage stage = Stage::welcome;               ///< Critical Wheel stage
  Initiator initiator = Initiator::business;  ///< who initiated it
  Aspect aspect = Aspect::technical;          ///< technical, hospitality or wow
  int impression = 0;                         ///< -2..+2
  bool complaint = false;                     ///< whether it was a complaint
  seconds_t resolved_at = no_time;            ///< when the complaint was resolved, or no_time
};

/// The loaded customer base, columnar. Customer index i refers to row i of the customers table
/// (accepted rows, input order). Contacts and purchases of customer i are the index range
/// [offsets[i], offsets[i+1]) of their columns, in input order.
struct RAPPORT_API CustomerBase {
  // customers
  std::vector<std::string> customer_id;    ///< customer keys, input order
  std::vector<day_t> acquired_on;          ///< acquisition date per customer
  std::vector<std::uint32_t> segment;      ///< segment index per customer into segment_names
  std::vector<std::string> segment_names;  ///< distinct segments, first-seen order ("" = none)
  /// The day each customer's contract ended (no_day while active); empty when no customer has one.
  std::vector<day_t> ended_on;

  // contacts, grouped by customer
  std::vector<std::uint64_t> contact_offsets{0};  ///< CSR offsets, size customers + 1
  std::vector<seconds_t> contact_at;              ///< contact instant
  std::vector<Channel> contact_channel;           ///< channel
  std::vector<Stage> contact_stage;               ///< stage
  std::vector<Initiator> contact_initiator;       ///< initiator
  std::vector<Aspect> contact_aspect;             ///< aspect
  std::vector<std::int8_t> contact_impression;    ///< impression -2..+2
  std::vector<std::uint8_t> contact_complaint;    ///< 1 for a complaint
  /// Complaints only (sparse): complaint_resolved_at[complaint_offsets[i] + j] is the resolution
  /// instant (or no_time) of customer i's j-th complaint contact, in contact order.
  std::vector<std::uint64_t> complaint_offsets{0};
  std::vector<seconds_t> complaint_resolved_at;  ///< see complaint_offsets

  // purchases, grouped by customer
  std::vector<std::uint64_t> purchase_offsets{0};  ///< CSR offsets, size customers + 1
  std::vector<seconds_t> purchase_at;              ///< purchase instant
  std::vector<double> purchase_amount;             ///< amount (>= 0)

  // referral graph: people are customers (person index = customer index), then everyone else
  // named in a referral (prospects, outside introducers) at person index customer_count() + k
  std::vector<std::string> prospect_id;      ///< keys of the people who are not customers
  std::vector<std::uint32_t> referral_from;  ///< referrer person index per referral, input order
  std::vector<std::uint32_t> referral_to;    ///< referred person index per referral
  std::vector<seconds_t> referral_at;        ///< referral instant

  /// Number of customers.
  std::size_t customer_count() const noexcept { return customer_id.size(); }
  /// The day customer `c`'s contract ended, or no_day while it runs.
  day_t ended(std::size_t c) const noexcept { return ended_on.empty() ? no_day : ended_on[c]; }
  /// Whether any customer has an `ended_on`.
  bool any_ended() const noexcept {
    for (const day_t d : ended_on)
      if (d != no_day) return true;
    return false;
  }
  /// Number of contacts.
  std::size_t contact_count() const noexcept { return contact_at.size(); }
  /// Number of purchases.
  std::size_t purchase_count() const noexcept { return purchase_at.size(); }
  /// Number of referrals.
  std::size_t referral_count() const noexcept { return referral_at.size(); }
  /// Resolution instant of contact `k` (no_time when it is not a resolved complaint); O(log n).
  seconds_t resolved_at(std::size_t k) const;
  /// The resolution instant of every contact, as a dense column (for export).
  std::vector<seconds_t> resolved_at_column() const;
  /// Number of people in the referral graph (customers, then everyone else).
  std::size_t person_count() const noexcept { return customer_id.size() + prospect_id.size(); }
  /// Key of person `p` (a customer's key for p < customer_count()).
  const std::string& person(std::size_t p) const {
    return p < customer_id.size() ? customer_id[p] : prospect_id[p - customer_id.size()];
  }
  /// The default as-of date: the latest UTC date among contacts, purchases and referrals `at`
  /// and customers' `acquired_on`; nullopt for an empty base.
  std::optional<day_t> default_as_of() const noexcept;
  /// Index of a customer by key, or nullopt.
  std::optional<std::uint32_t> find_customer(std::string_view id) const;

  /// Internal lookup table (customer key -> index); built by the builder.
  std::shared_ptr<const void> index_;
};

/// Builds a CustomerBase row by row with the card's validation. Add customers first, then
/// contacts, purchases and referrals (any interleaving of the last three). Each add_* returns an
/// empty string when the row is accepted, else the reason and (via `column`) the offending column.
class RAPPORT_API CustomerBaseBuilder {
public:
  CustomerBaseBuilder();
  ~CustomerBaseBuilder();
  CustomerBaseBuilder(const CustomerBaseBuilder&) = delete;
  CustomerBaseBuilder& operator=(const CustomerBaseBuilder&) = delete;

  /// Adds a customer; rejects an empty or duplicate key (the first row wins).
  std::string add_customer(std::string_view id, day_t acquired_on, std::string_view segment,
                           std::string* column = nullptr);
  /// Adds a customer whose contract ended on `ended_on` (no_day: still active); also rejects an
  /// `ended_on` before `acquired_on`.
  std::string add_customer(std::string_view id, day_t acquired_on, std::string_view segment, day_t ended_on,
                           std::string* column = nullptr);
  /// Adds a contact of an existing customer; rejects unknown customers, impressions outside
  /// -2..+2 and complaints resolved before they were made.
  std::string add_contact(std::string_view customer_id, const ContactRow& row, std::string* column = nullptr);
  /// Adds a purchase; rejects unknown customers and negative or non-finite amounts.
  std::string add_purchase(std::string_view customer_id, seconds_t at, double amount, std::string* column = nullptr);
  /// Adds a referral; rejects empty ids and self-referrals.
  std::string add_referral(std::string_view referrer_id, std::string_view referred_id, seconds_t at,
                           std::string* column = nullptr);
  /// Number of customers added so far.
  std::size_t customer_count() const noexcept;
  /// Finishes: groups contacts and purchases by customer (stable) and returns the base.
  CustomerBase finish();

  struct Impl;  ///< implementation (opaque)

private:
  friend struct detail_builder_access;
  std::unique_ptr<Impl> impl_;
};

/// Options for loading.
struct LoadOptions {
  bool strict = false;  ///< throw InputError on the first rejected row (after on_reject saw it)
  /// At most this many rejects are stored in LoadReport::rejects; the others are counted in
  /// LoadReport::rejects_not_kept (and still passed to on_reject).
  std::size_t max_rejects_kept = 1000000;
  unsigned threads = 0;  ///< parsing threads for contacts and purchases; 0 = all cores
  /// Called for every rejected row, stored or not: tables in load order (customers, contacts,
  /// purchases, referrals), rows in input order within a table, one call at a time from the
  /// loading thread (never concurrently, also with parallel parsing). An exception it throws
  /// ends the load and propagates out of load_csv (files are closed, nothing is returned).
  std::function<void(const RejectedRow&)> on_reject;
};

/// A loaded base with its load report.
struct LoadResult {
  CustomerBase base;  ///< the accepted rows
  LoadReport report;  ///< counts and rejects
};

}  // namespace rapport
