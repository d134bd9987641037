// Loading a customer base from CSV files or record sources (database tables): the parallel block
// reader of the grouped tables and the record-source loader, every row through base's row rules.
#include <rapport/base/data.hpp>
#include <rapport/io/load.hpp>

#include "base/builder.hpp"
#include "base/id_index.hpp"
#include "base/parse.hpp"
#include "base/record_source.hpp"
#include "base/rows.hpp"
#include "io/csv_reader.hpp"
#include "io/file_reader.hpp"
#include "io/load.hpp"
#include "util/parallel.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <limits>
#include <optional>
#include <type_traits>
#include <unordered_map>

#include <sys/mman.h>

namespace rapport {

InputFiles InputFiles::from_directory(const std::string& dir) {
  namespace fs = std::filesystem;
  InputFiles f;
  const fs::path d(dir);
  f.customers = (d / "customers.csv").string();
  auto opt = [&](const char* name) {
    const fs::path p = d / name;
    return fs::exists(p) ? p.string() : std::string();
  };
  f.contacts = opt("contacts.csv");
  f.purchases = opt("purchases.csv");
  f.referrals = opt("referrals.csv");
  return f;
}

// ---------------------------------------------------------------------------------------------
// CSV loading

namespace detail {
std::size_t csv_block_bytes = std::size_t{1} << 25;
std::size_t csv_part_min_bytes = std::size_t{1} << 20;
}  // namespace detail

namespace {

using detail::ColumnMap;
using detail::RejectSink;
using detail::RowError;
using detail::TableSchema;

/// Customer lookup for the grouped tables: rows of one customer usually come together, and
/// exports list customers in customer order, so the current customer and the next few (some
/// have no rows) are tried before the hash index.
struct CustomerLookup {
  static constexpr std::uint32_t look_ahead = 4;
  const detail::IdIndex& customers;
  const std::vector<std::string>& keys;
  std::uint32_t index = 0;
  bool valid = false;
  bool find(std::string_view id, std::uint32_t& out) {
    if (valid) {
      const auto last = static_cast<std::uint32_t>(std::min<std::size_t>(index + look_ahead, keys.size() - 1));
      for (std::uint32_t k = index; k <= last; ++k)
        if (detail::same_text(keys[k], id)) {
          index = out = k;
          return true;
        }
    }
    const auto found = customers.find(keys, id);
    if (!found) return false;
    index = out = *found;
    valid = true;
    return true;
  }
};

// ---- the grouped tables' rows: text fields through the row rules (thread-safe)

struct ContactOut {
  std::uint32_t owner;
  ContactRow row;
};

struct PurchaseOut {
  std::uint32_t owner;
  seconds_t at;
  double amount;
};

bool parse_row(const std::string_view* f, const detail::TypedField* typed, CustomerLookup& customers, ContactOut& out,
               RowError& e) {
  const bool known = customers.find(f[detail::contact_field::customer_id], out.owner);
  const bool converted = detail::contact_from_text(f, out.row, e, typed);
  return detail::check_contact(known, out.row, converted ? nullptr : &e, e);
}

bool parse_row(const std::string_view* f, const detail::TypedField* typed, CustomerLookup& customers, PurchaseOut& out,
               RowError& e) {
  const bool known = customers.find(f[detail::purchase_field::customer_id], out.owner);
  const bool converted = detail::purchase_from_text(f, out.at, out.amount, e, typed);
  return detail::check_purchase(known, out.at, out.amount, converted ? nullptr : &e, e);
}

const TableSchema& schema_of(const ContactOut*) { return detail::contacts_schema(); }
const TableSchema& schema_of(const PurchaseOut*) { return detail::purchases_schema(); }

// The columns of each grouped table, visited together (reserve, resize).
template <class F>
void for_each_column(CustomerBaseBuilder::Impl& im, const ContactOut*, F&& f) {
  auto& b = im.base;
  f(im.contact_owner), f(b.contact_at), f(b.contact_channel), f(b.contact_stage), f(b.contact_initiator);
  f(b.contact_aspect), f(b.contact_impression), f(b.contact_complaint);
}
template <class F>
void for_each_column(CustomerBaseBuilder::Impl& im, const PurchaseOut*, F&& f) {
  f(im.purchase_owner), f(im.base.purchase_at), f(im.base.purchase_amount);
}
template <class Out>
std::size_t row_count(CustomerBaseBuilder::Impl& im) {
  std::size_t n = 0;
  for_each_column(im, static_cast<const Out*>(nullptr), [&](auto& col) { n = col.size(); });
  return n;
}
/// Asks for huge pages under the unused capacity of a large column: its first touch, as the
/// rows are stored, then faults in 2 MiB at a time rather than 4 KiB (Linux; a hint only).
template <class T>
void advise_huge_pages(std::vector<T>& col) noexcept {
#if defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge = std::uintptr_t{1} << 21;
  const auto from = reinterpret_cast<std::uintptr_t>(col.data() + col.size());
  const auto to = reinterpret_cast<std::uintptr_t>(col.data() + col.capacity());
  const std::uintptr_t lo = (from + huge - 1) & ~(huge - 1), hi = to & ~(huge - 1);
  if (hi > lo) ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
#else
  (void)col;
#endif
}
template <class Out>
void reserve_rows(CustomerBaseBuilder::Impl& im, std::size_t extra) {
  const std::size_t n = row_count<Out>(im) + extra;
  for_each_column(im, static_cast<const Out*>(nullptr), [&](auto& col) {
    col.reserve(n);
    advise_huge_pages(col);
  });
}
template <class Out>
void grow_rows(CustomerBaseBuilder::Impl& im, std::size_t extra, unsigned threads = 1) {
  // the columns are grown (new rows zeroed, their pages first touched) side by side
  const std::size_t n = row_count<Out>(im) + extra;
  if (threads <= 1) {  // one row of a record source: no task list, no thread count (a /sys read) per row
    for_each_column(im, static_cast<const Out*>(nullptr), [&](auto& col) { col.resize(n); });
    return;
  }
  std::vector<std::function<void()>> grow;
  for_each_column(im, static_cast<const Out*>(nullptr),
                  [&](auto& col) { grow.emplace_back([&col, n] { col.resize(n); }); });
  detail::parallel_for(
      grow.size(), threads,
      [&](std::size_t lo, std::size_t hi) {
        for (std::size_t k = lo; k < hi; ++k) grow[k]();
      },
      1);
}

// Writes row `i` (already grown); distinct i may be stored from different threads.
void store(CustomerBaseBuilder::Impl& im, std::size_t i, const ContactOut& c) {
  auto& b = im.base;
  im.contact_owner[i] = c.owner;
  b.contact_at[i] = c.row.at;
  b.contact_channel[i] = c.row.channel;
  b.contact_stage[i] = c.row.stage;
  b.contact_initiator[i] = c.row.initiator;
  b.contact_aspect[i] = c.row.aspect;
  b.contact_impression[i] = static_cast<std::int8_t>(c.row.impression);
  b.contact_complaint[i] = c.row.complaint ? 1 : 0;
}
// Complaints are kept sparse: appended in row order after the rows are stored.
void store_complaint(CustomerBaseBuilder::Impl& im, std::size_t i, const ContactOut& c) {
  if (!c.row.complaint) return;
  im.complaint_row.push_back(i);
  im.complaint_resolved.push_back(c.row.resolved_at);
}
void store_complaint(CustomerBaseBuilder::Impl&, std::size_t, const PurchaseOut&) {}
bool is_complaint(const ContactOut& c) { return c.row.complaint; }
constexpr bool is_complaint(const PurchaseOut&) { return false; }
void store(CustomerBaseBuilder::Impl& im, std::size_t i, const PurchaseOut& p) {
  im.purchase_owner[i] = p.owner;
  im.base.purchase_at[i] = p.at;
  im.base.purchase_amount[i] = p.amount;
}
template <class Out>
void append(CustomerBaseBuilder::Impl& im, const Out& row) {
  const std::size_t i = row_count<Out>(im);
  grow_rows<Out>(im, 1);
  store(im, i, row);
  store_complaint(im, i, row);
}

// ---- the parallel reader of a grouped table

/// A file read in windows of whole lines: data[0, filled) holds the bytes from file offset
/// `offset`, read (through the one raw reader) into a buffer that is reused window after window,
/// so the file never sits in memory whole. The next window can be read ahead on a thread of its
/// own into a second buffer while the current one is parsed.
class BlockFile {
public:
  std::string path;
  const char* data = nullptr;
  std::size_t filled = 0, offset = 0;
  bool eof = false;

  explicit BlockFile(std::string p) : path(std::move(p)), file_(path) {
    std::size_t window = std::max<std::size_t>(detail::csv_block_bytes, 64);
    if (const auto size = file_.regular_size()) {
      file_.advise_sequential();
      window = std::min(window, *size + 64);
    }
    buf_.resize(window);
  }
  BlockFile(const BlockFile&) = delete;
  BlockFile& operator=(const BlockFile&) = delete;
  ~BlockFile() {
    if (ahead_.valid()) ahead_.wait();  // the read ahead holds data and the buffers
  }

  /// Starts reading the window that refill(keep_from) takes in, on a thread of its own: it
  /// copies data[keep_from, filled) to the second buffer and reads after it. data stays valid
  /// (and must not change) until refill.
  void read_ahead(std::size_t keep_from) {
    if (next_.size() < buf_.size()) next_.resize(buf_.size());
    const std::string_view rest(data + keep_from, filled - keep_from);
    ahead_ = detail::start_task(true, [this, rest] { return file_.read_after(rest, next_, next_filled_); });
    ahead_from_ = keep_from;
  }

  /// Drops data[0, keep_from) and takes in more (a window twice as large when it was full):
  /// the window read ahead when read_ahead(keep_from) started one.
  void refill(std::size_t keep_from) {
    std::size_t got = 0;
    if (ahead_.valid()) {
      if (ahead_from_ != keep_from) throw InternalError("BlockFile: refill from another offset than the read ahead");
      got = ahead_.get();
      buf_.swap(next_);
      filled = next_filled_;
    } else {
      got = file_.refill(buf_, keep_from, filled);
    }
    offset += keep_from;
    if (got == 0) eof = true;
    data = buf_.data();
  }

private:
  detail::FileReader file_;
  std::vector<char> buf_, next_;
  std::size_t next_filled_ = 0, ahead_from_ = 0;
  std::future<std::size_t> ahead_;  // last: waited for before the buffers go
};

/// Reads the header line of a block file (after a BOM and blank lines); advances `pos` and
/// `line` past it. nullopt when the header holds a quote (the sequential reader takes over).
std::optional<ColumnMap> read_plain_header(BlockFile& in, const TableSchema& schema, std::size_t& pos,
                                           std::size_t& line) {
  if (in.filled >= 3 && std::memcmp(in.data, "\xEF\xBB\xBF", 3) == 0) pos = 3;
  for (;;) {
    const char* const buf = in.data;
    while (pos < in.filled && (buf[pos] == '\n' || (buf[pos] == '\r' && pos + 1 < in.filled && buf[pos + 1] == '\n'))) {
      pos += buf[pos] == '\n' ? 1 : 2;
      ++line;
    }
    const char* nl = static_cast<const char*>(std::memchr(buf + pos, '\n', in.filled - pos));
    if (!nl && !in.eof) {
      in.refill(0);
      continue;
    }
    if (pos == in.filled) throw InputError(in.path + ": empty file (no header row)");
    const std::size_t end = nl ? static_cast<std::size_t>(nl - buf) : in.filled;
    std::string_view header(buf + pos, end - pos);
    if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
    if (header.find('"') != std::string_view::npos) return std::nullopt;
    std::vector<std::string_view> fields;
    detail::split_plain_record(header, fields);
    auto columns = ColumnMap::from_header(fields, schema, in.path, line);
    pos = nl ? end + 1 : in.filled;
    ++line;
    return columns;
  }
}

/// One thread's share of a block: [begin, end) of the buffer (or the rows of a batch of records),
/// its accepted rows and its rejects.
template <class Out>
struct Part {
  std::size_t begin = 0, end = 0;
  std::vector<Out> rows;
  struct Bad {
    std::size_t line_offset;
    RowError error;
    std::string_view raw;
  };
  std::vector<Bad> bad;
  std::deque<std::string> spelled;      ///< raw texts of rejected typed records (Bad::raw views them)
  std::vector<std::size_t> complaints;  ///< indexes into rows of the complaints (contacts)
  std::size_t lines = 0, read = 0;
  bool quoted = false;  ///< the part holds a '"' (the block goes to the sequential reader)
  /// Empties the part for [b, e), keeping its buffers (no fresh pages to fault in and clear).
  void reset(std::size_t b, std::size_t e) {
    rows.clear();
    bad.clear();
    spelled.clear();
    complaints.clear();
    lines = read = 0;
    quoted = false;
    begin = b;
    end = e;
  }
};

/// Cuts [pos, stop) into `want` parts at line starts.
template <class Out>
void split_parts(const char* buf, std::size_t pos, std::size_t stop, std::size_t want, std::vector<Part<Out>>& parts) {
  // reuse the parts' buffers from block to block (no fresh pages to fault in and clear)
  parts.resize(want);
  std::size_t b = pos;
  for (std::size_t k = 0; k < want; ++k) {
    std::size_t e = k + 1 == want ? stop : pos + (stop - pos) * (k + 1) / want;
    if (e < stop) {
      const char* nl = static_cast<const char*>(std::memchr(buf + e, '\n', stop - e));
      e = nl ? static_cast<std::size_t>(nl - buf) + 1 : stop;
    }
    e = std::max(e, b);
    parts[k].reset(b, e);
    b = e;
  }
}

/// Parses the lines of one part (runs on a worker thread): `parse(fields, text, line_offset,
/// out, e)` puts a record's schema fields through the row rules into `out`, or returns false
/// with `e`. Stops at a quote (part.quoted).
template <class Out, class Parse>
void parse_part(const char* buf, const ColumnMap& columns, Parse& parse, Part<Out>& part) {
  std::vector<std::string_view> fields;
  fields.reserve(columns.header.size() + 1);
  std::vector<std::string_view> f(columns.position.size());
  part.rows.reserve((part.end - part.begin) / 64);
  detail::PlainLineSplitter lines(buf + part.begin, buf + part.end);
  std::string_view ln;
  Out out;
  RowError err;
  while (lines.next(fields, ln)) {
    if (!ln.empty()) {
      ++part.read;
      const auto* row = detail::schema_fields(fields, columns, f.data(), err);
      if (row && parse(row, ln, part.lines, out, err)) {
        if (is_complaint(out)) part.complaints.push_back(part.rows.size());
        part.rows.push_back(out);
      } else {
        part.bad.push_back({part.lines, err, ln});
      }
    }
    ++part.lines;
  }
  part.quoted = lines.saw_quote();
}

/// Reads a CSV table in blocks of whole lines. Each block is cut into parts at line starts, the
/// parts are parsed on up to `threads` threads (each thread's parser from `make_parser()`, see
/// parse_part), and the parts go, in file order, to `merge(parts, columns, line, block_bytes)`
/// on this thread (`line`: the block's first line, to be advanced past it). The row order, and
/// so the base, does not depend on the thread count. From the first block that holds a '"' on,
/// the rest goes to `sequential(offset, line, columns)`, the RFC 4180 reader from that record
/// (with `columns` unset when the header holds the quote: from the file's start).
template <class Out, class MakeParser, class Merge, class Sequential>
void load_blocks(const std::string& path, const TableSchema& schema, unsigned threads, MakeParser&& make_parser,
                 Merge&& merge, Sequential&& sequential) {
  BlockFile in(path);
  std::size_t pos = 0, line = 1;
  in.refill(0);
  std::optional<ColumnMap> columns = read_plain_header(in, schema, pos, line);
  if (!columns) return sequential(std::size_t{0}, std::size_t{1}, columns);
  const unsigned workers = detail::thread_count(threads);
  std::vector<Part<Out>> parts;
  for (;;) {
    // the block: whole lines in [pos, stop)
    std::size_t stop = in.filled;
    if (!in.eof) {
      const char* last = static_cast<const char*>(memrchr(in.data + pos, '\n', in.filled - pos));
      if (!last) {
        in.refill(pos);
        pos = 0;
        continue;
      }
      stop = static_cast<std::size_t>(last - in.data) + 1;
    }
    const std::size_t want = std::max<std::size_t>(
        1, std::min<std::size_t>(workers, (stop - pos) / std::max<std::size_t>(detail::csv_part_min_bytes, 1)));
    if (!in.eof) in.read_ahead(stop);  // the next window is read while this one is parsed
    split_parts(in.data, pos, stop, want, parts);
    detail::parallel_for(
        want, static_cast<unsigned>(want),
        [&](std::size_t lo, std::size_t hi) {
          auto parse = make_parser();
          for (std::size_t k = lo; k < hi; ++k) parse_part(in.data, *columns, parse, parts[k]);
        },
        1);
    if (std::any_of(parts.begin(), parts.end(), [](const Part<Out>& part) { return part.quoted; }))
      return sequential(in.offset + pos, line, columns);
    merge(parts, *columns, line, stop - pos);
    if (in.eof) break;
    in.refill(stop);
    pos = 0;
  }
}

/// Calls on_row(row) for each accepted row and on_bad(bad) for each rejected line of a part, in
/// file order.
template <class Out, class OnRow, class OnBad>
void in_file_order(const Part<Out>& part, OnRow&& on_row, OnBad&& on_bad) {
  std::size_t b = 0;
  for (const Out& row : part.rows) {
    for (; b < part.bad.size() && part.bad[b].line_offset < row.line_offset; ++b) on_bad(part.bad[b]);
    on_row(row);
  }
  for (; b < part.bad.size(); ++b) on_bad(part.bad[b]);
}

/// Reports a block's rejects in file order (on this thread), then stores its rows: each part
/// copies into its own range, in parallel. Advances `line` past the block.
template <class Out>
void merge_parts(std::vector<Part<Out>>& parts, const std::string& path, const ColumnMap& columns, TableCounts& counts,
                 RejectSink& sink, CustomerBaseBuilder::Impl& im, std::size_t& line) {
  const TableSchema& schema = schema_of(static_cast<const Out*>(nullptr));
  std::vector<std::size_t> at(parts.size() + 1, 0);
  for (std::size_t k = 0; k < parts.size(); ++k) {
    auto& part = parts[k];
    counts.read += part.read;
    for (const auto& bad : part.bad)
      sink.reject(schema, counts, path, columns, line + bad.line_offset, bad.error, bad.raw);
    line += part.lines;
    at[k + 1] = at[k] + part.rows.size();
  }
  const std::size_t start = row_count<Out>(im);
  grow_rows<Out>(im, at.back(), static_cast<unsigned>(parts.size()));
  detail::parallel_for(
      parts.size(), static_cast<unsigned>(parts.size()),
      [&](std::size_t lo, std::size_t hi) {
        for (std::size_t k = lo; k < hi; ++k)
          for (std::size_t i = 0; i < parts[k].rows.size(); ++i) store(im, start + at[k] + i, parts[k].rows[i]);
      },
      1);
  for (std::size_t k = 0; k < parts.size(); ++k)
    for (const std::size_t i : parts[k].complaints) store_complaint(im, start + at[k] + i, parts[k].rows[i]);
}

/// Sizes the columns once from the first block's bytes per row (no doubling growth).
template <class Out>
void reserve_from_first_block(const std::vector<Part<Out>>& parts, const std::string& path, std::size_t block_bytes,
                              CustomerBaseBuilder::Impl& im) {
  std::size_t rows = 0;
  for (const auto& part : parts) rows += part.rows.size();
  std::error_code ec;
  const auto total = std::filesystem::file_size(path, ec);
  if (!ec && rows && block_bytes)
    reserve_rows<Out>(im, static_cast<std::size_t>(static_cast<double>(total) * static_cast<double>(rows) /
                                                   static_cast<double>(block_bytes) * 1.02) +
                              1024);
}

/// Loads a per-customer table (contacts or purchases) record by record from `reader` (a database
/// table, or a CSV file past the parallel path); reads the header first unless `columns` is set.
template <class Out>
void load_grouped_records(detail::RecordSource& reader, std::optional<ColumnMap>& columns, TableCounts& counts,
                          RejectSink& sink, CustomerBaseBuilder::Impl& im) {
  CustomerLookup lookup{im.customers, im.base.customer_id};
  Out out;
  detail::read_table(reader, schema_of(static_cast<const Out*>(nullptr)), columns, counts, sink,
                     [&](const std::string_view* f, const detail::TypedField* typed, RowError& e) {
                       if (!parse_row(f, typed, lookup, out, e)) return false;
                       append(im, out);
                       return true;
                     });
}

/// Settles rows [part.begin, part.end) of a batch of records through the row rules (runs on a
/// worker thread), as parse_part settles the lines of a CSV block: each row is a line.
template <class Out>
void parse_batch_part(const detail::RecordBatch& batch, const ColumnMap& columns, CustomerLookup lookup,
                      Part<Out>& part) {
  const TableSchema& schema = schema_of(static_cast<const Out*>(nullptr));
  detail::CsvRecord rec;
  std::vector<detail::TypedField> typed;
  std::vector<std::string_view> scratch(columns.position.size());
  detail::TypedRecord arranged;
  RowError err;
  Out out;
  part.rows.reserve(part.end - part.begin);
  for (std::size_t r = part.begin; r < part.end; ++r, ++part.lines) {
    batch.record(r, rec, typed);
    ++part.read;
    const auto* f = arranged.fields(rec, columns, schema, scratch.data(), true, err);
    if (f && parse_row(f, arranged.typed(), lookup, out, err)) {
      if (is_complaint(out)) part.complaints.push_back(part.rows.size());
      part.rows.push_back(out);
    } else {
      part.bad.push_back({part.lines, err, part.spelled.emplace_back(arranged.raw(rec))});
    }
  }
}

/// Loads a per-customer table (contacts or purchases) from a source that hands its rows in
/// batches (a database table), the way load_blocks loads a CSV file: each batch is cut into parts
/// of whole rows, the parts settled on up to `threads` threads, and merged in row order
/// (merge_parts), so rows, rejects and counts do not depend on the thread count.
template <class Out>
void load_grouped_batches(detail::RecordSource& reader, const ColumnMap& columns, TableCounts& counts, RejectSink& sink,
                          CustomerBaseBuilder::Impl& im, unsigned threads) {
  const std::size_t min_part_rows = std::max<std::size_t>(detail::record_part_min_rows, 1);
  const unsigned workers = detail::thread_count(threads);
  std::vector<Part<Out>> parts;
  while (const detail::RecordBatch* batch = reader.next_batch()) {
    const std::size_t n = batch->size();
    const std::size_t want = std::max<std::size_t>(1, std::min<std::size_t>(workers, n / min_part_rows));
    parts.resize(want);
    for (std::size_t k = 0; k < want; ++k) parts[k].reset(n * k / want, n * (k + 1) / want);
    detail::parallel_for(
        want, static_cast<unsigned>(want),
        [&](std::size_t lo, std::size_t hi) {
          for (std::size_t k = lo; k < hi; ++k)
            parse_batch_part(*batch, columns, CustomerLookup{im.customers, im.base.customer_id}, parts[k]);
        },
        1);
    std::size_t line = batch->first_line;
    merge_parts(parts, reader.name(), columns, counts, sink, im, line);
  }
}

/// Loads a per-customer table (contacts or purchases) from its CSV file through load_blocks.
template <class Out>
void load_grouped_table(const std::string& path, TableCounts& counts, RejectSink& sink, CustomerBaseBuilder::Impl& im,
                        unsigned threads) {
  bool reserved = false;
  load_blocks<Out>(
      path, schema_of(static_cast<const Out*>(nullptr)), threads,
      [&] {
        return [lookup = CustomerLookup{im.customers, im.base.customer_id}](
                   const std::string_view* f, std::string_view, std::size_t, Out& out, RowError& e) mutable {
          return parse_row(f, nullptr, lookup, out, e);
        };
      },
      [&](std::vector<Part<Out>>& parts, const ColumnMap& columns, std::size_t& line, std::size_t block_bytes) {
        if (!reserved) reserve_from_first_block(parts, path, block_bytes, im);
        reserved = true;
        merge_parts(parts, path, columns, counts, sink, im, line);
      },
      [&](std::size_t offset, std::size_t line, std::optional<ColumnMap>& columns) {
        detail::CsvReader reader(path, offset, line, !columns);
        load_grouped_records<Out>(reader, columns, counts, sink, im);
      });
}

/// One table's input: a CSV file (`path`) or a record source; absent when neither is given.
struct TableInput {
  std::string path;
  detail::RecordSource* source = nullptr;
  bool present() const noexcept { return source || !path.empty(); }
};

/// Loads contacts or purchases: a CSV file through the parallel path, a source record by record.
template <class Out>
void load_grouped_input(const TableInput& in, TableCounts& counts, RejectSink& sink, CustomerBaseBuilder::Impl& im,
                        unsigned threads) {
  if (!in.source) return load_grouped_table<Out>(in.path, counts, sink, im, threads);
  std::optional<ColumnMap> columns = detail::read_header(*in.source, schema_of(static_cast<const Out*>(nullptr)));
  if (in.source->batched()) return load_grouped_batches<Out>(*in.source, *columns, counts, sink, im, threads);
  load_grouped_records<Out>(*in.source, columns, counts, sink, im);
}

/// Rows settled a few rows after they are read, in read order: a fixed ring. Reading a row starts
/// the loads its settling needs (prefetch), so that random memory access overlaps the reading of
/// the rows that follow.
template <class Row, std::size_t N = 16>
class PendingRows {
public:
  /// The slot for the next row; when the ring is full, the oldest row is settled first.
  template <class Settle>
  Row& push(Settle&& settle) {
    if (count_ == N) settle_one(settle);
    return ring_[(first_ + count_++) % N];
  }
  /// Settles every pending row, oldest first.
  template <class Settle>
  void settle_all(Settle&& settle) {
    while (count_) settle_one(settle);
  }

private:
  template <class Settle>
  void settle_one(Settle& settle) {
    Row& row = ring_[first_];
    first_ = (first_ + 1) % N;
    --count_;
    settle(row);
  }
  std::array<Row, N> ring_;  // reused: a row's strings keep their buffers from row to row
  std::size_t first_ = 0, count_ = 0;
};

// ---- customers and referrals: the row rules on every thread, keys interned in file order

/// A customers row the row rules accepted, its text still in the block (or the record).
struct CustomerOut {
  std::string_view id, segment, raw;
  day_t acquired_on = 0, ended_on = no_day;
  std::size_t line_offset = 0;  ///< the line within its part (for the duplicate-key reject)
};

/// A referrals row the row rules accepted, each person's customer index when a customer.
struct ReferralOut {
  static constexpr std::uint32_t not_customer = 0xFFFFFFFFu;
  std::string_view referrer, referred;
  std::uint32_t referrer_customer = not_customer, referred_customer = not_customer;
  seconds_t at = 0;
  std::size_t line_offset = 0;
};

constexpr bool is_complaint(const CustomerOut&) { return false; }
constexpr bool is_complaint(const ReferralOut&) { return false; }

/// A customers record's fields through the row rules that need no earlier row (all but the
/// duplicate key, checked when the row is interned).
bool parse_customer(const std::string_view* f, CustomerOut& out, RowError& e) {
  using namespace detail::customer_field;
  const auto day = detail::parse_date(f[acquired_on]);
  RowError buf;
  day_t ended = no_day;
  const RowError* failure = detail::conversion_failure(day, acquired_on, buf);
  if (!failure && !detail::ended_on_from_text(f[detail::customer_field::ended_on], ended, buf)) failure = &buf;
  if (!detail::check_customer(f[customer_id], day.value.value_or(0), ended, failure, e)) return false;
  out.id = f[customer_id];
  out.segment = f[segment];
  out.acquired_on = *day.value;
  out.ended_on = ended;
  return true;
}

/// A referrals record's fields through the row rules.
bool parse_referral(const std::string_view* f, ReferralOut& out, RowError& e) {
  using namespace detail::referral_field;
  const auto t = detail::parse_timestamp(f[at]);
  RowError buf;
  const RowError* failure = detail::conversion_failure(t, at, buf);
  if (!detail::check_referral(f[referrer_id], f[referred_id], t.value.value_or(0), failure, e)) return false;
  out.referrer = f[referrer_id];
  out.referred = f[referred_id];
  out.at = *t.value;
  return true;
}

// The columns a block of customers or referrals grows (reserve_from_first_block).
template <class F>
void for_each_column(CustomerBaseBuilder::Impl& im, const CustomerOut*, F&& f) {
  f(im.base.customer_id), f(im.base.acquired_on), f(im.base.segment);
}
template <class F>
void for_each_column(CustomerBaseBuilder::Impl& im, const ReferralOut*, F&& f) {
  f(im.base.referral_from), f(im.base.referral_to), f(im.base.referral_at);
}

/// Interns a block of customers in file order: each row's key is checked against the earlier
/// ones (a duplicate rejected where it stands among the other rejects), the key's index slot
/// prefetched a few rows ahead. Advances `line` past the block.
void merge_customers(const std::vector<Part<CustomerOut>>& parts, const std::string& path, const ColumnMap& columns,
                     TableCounts& counts, RejectSink& sink, CustomerBaseBuilder::Impl& im, std::size_t& line) {
  constexpr std::size_t ahead = 8;
  const TableSchema& schema = detail::customers_schema();
  const RowError duplicate{detail::customer_field::customer_id, 0, detail::duplicate_customer_reason};
  for (const auto& part : parts) {
    counts.read += part.read;
    const CustomerOut* const rows = part.rows.data();
    const std::size_t n = part.rows.size();
    for (std::size_t i = 0; i < std::min(ahead, n); ++i) im.customers.prefetch(rows[i].id);
    in_file_order(
        part,
        [&](const CustomerOut& row) {
          const auto i = static_cast<std::size_t>(&row - rows);
          if (i + ahead < n) im.customers.prefetch(rows[i + ahead].id);
          if (!im.add_customer(row.id, row.acquired_on, row.segment, row.ended_on))
            sink.reject(schema, counts, path, columns, line + row.line_offset, duplicate, row.raw);
        },
        [&](const auto& bad) {
          sink.reject(schema, counts, path, columns, line + bad.line_offset, bad.error, bad.raw);
        });
    line += part.lines;
  }
}

/// Adds a block of referrals in file order; the people who are not customers (whose keys the
/// parsers could not find) become prospects in first-seen order. Advances `line` past the block.
void merge_referrals(const std::vector<Part<ReferralOut>>& parts, const std::string& path, const ColumnMap& columns,
                     TableCounts& counts, RejectSink& sink, CustomerBaseBuilder::Impl& im, std::size_t& line) {
  const TableSchema& schema = detail::referrals_schema();
  for (const auto& part : parts) {
    counts.read += part.read;
    const auto person = [&](std::uint32_t customer, std::string_view id) {
      return customer != ReferralOut::not_customer ? customer : im.prospect(id);
    };
    in_file_order(
        part,
        [&](const ReferralOut& row) {
          const std::uint32_t from = person(row.referrer_customer, row.referrer);
          im.add_referral(from, person(row.referred_customer, row.referred), row.at);
        },
        [&](const auto& bad) {
          sink.reject(schema, counts, path, columns, line + bad.line_offset, bad.error, bad.raw);
        });
    line += part.lines;
  }
}

/// The customers table's rows from a record source (a database table, or a CSV file past the
/// parallel path), each settled (key checked against the earlier ones, stored) a few rows after
/// it is read: its key's index slot is prefetched on arrival, so the random access of the
/// duplicate check has landed by the time the row is settled. Rejects keep file order: the
/// pending rows are settled before any other reject is reported.
class CustomerRows {
public:
  CustomerRows(CustomerBaseBuilder& builder, RejectSink& sink, TableCounts& counts)
      : im_(detail_builder_access::impl(builder)), sink_(sink), counts_(counts) {}
  CustomerRows(const CustomerRows&) = delete;
  CustomerRows& operator=(const CustomerRows&) = delete;

  /// A record's fields: the row rules that need no earlier row now (a reject then, after the
  /// pending rows), the duplicate check when the row is settled.
  bool add(const std::string_view* f, RowError& e, const detail::CsvRecord& rec, const ColumnMap& columns,
           const std::string& file) {
    CustomerOut row;
    if (!parse_customer(f, row, e)) {
      settle_all();
      return false;
    }
    Pending& p = pending_.push([this](Pending& pending) { settle(pending); });
    p.id.assign(row.id);
    p.segment.assign(row.segment);
    p.raw.assign(rec.raw);
    p.day = row.acquired_on;
    p.ended = row.ended_on;
    p.line = rec.line;
    p.columns = &columns;
    p.file = &file;
    im_.customers.prefetch(p.id);
    return true;
  }
  /// Settles every pending row.
  void settle_all() {
    pending_.settle_all([this](Pending& row) { settle(row); });
  }

private:
  struct Pending {
    std::string id, segment, raw;
    day_t day = 0, ended = no_day;
    std::size_t line = 0;
    const ColumnMap* columns = nullptr;
    const std::string* file = nullptr;
  };
  void settle(const Pending& p) {
    if (!im_.add_customer(p.id, p.day, p.segment, p.ended))
      sink_.reject(detail::customers_schema(), counts_, *p.file, *p.columns, p.line,
                   RowError{detail::customer_field::customer_id, 0, detail::duplicate_customer_reason}, p.raw);
  }
  CustomerBaseBuilder::Impl& im_;
  RejectSink& sink_;
  TableCounts& counts_;
  PendingRows<Pending> pending_;
};

/// Loads the customers table from a record source (through CustomerRows); reads the header
/// first unless `columns` is set.
void load_customer_records(detail::RecordSource& reader, std::optional<ColumnMap>& columns, TableCounts& counts,
                           RejectSink& sink, CustomerBaseBuilder& builder) {
  CustomerRows rows(builder, sink, counts);
  detail::read_table(
      reader, detail::customers_schema(), columns, counts, sink,
      [&](const std::string_view* f, RowError& e, const detail::CsvRecord& rec) {
        return rows.add(f, e, rec, *columns, reader.name());
      },
      [&] { rows.settle_all(); });
  rows.settle_all();
}

/// Loads the customers table: a CSV file through load_blocks (keys interned in file order after
/// each block is parsed on every thread), a source record by record.
void load_customers(const TableInput& in, TableCounts& counts, RejectSink& sink, CustomerBaseBuilder& builder,
                    unsigned threads) {
  std::optional<ColumnMap> none;
  if (in.source) return load_customer_records(*in.source, none, counts, sink, builder);
  auto& im = detail_builder_access::impl(builder);
  bool reserved = false;
  load_blocks<CustomerOut>(
      in.path, detail::customers_schema(), threads,
      [] {
        return [](const std::string_view* f, std::string_view text, std::size_t line_offset, CustomerOut& out,
                  RowError& e) {
          out.raw = text;
          out.line_offset = line_offset;
          return parse_customer(f, out, e);
        };
      },
      [&](std::vector<Part<CustomerOut>>& parts, const ColumnMap& columns, std::size_t& line, std::size_t block_bytes) {
        if (!reserved) reserve_from_first_block(parts, in.path, block_bytes, im);
        reserved = true;
        merge_customers(parts, in.path, columns, counts, sink, im, line);
      },
      [&](std::size_t offset, std::size_t line, std::optional<ColumnMap>& columns) {
        detail::CsvReader reader(in.path, offset, line, !columns);
        load_customer_records(reader, columns, counts, sink, builder);
      });
}

/// The referrals table's rows from a record source: the row rules now, the two people looked
/// up (a prospect added) when the row is settled a few rows later, with their index slots
/// prefetched meanwhile. Settling rejects nothing, so rejects keep file order by themselves.
class ReferralRows {
public:
  explicit ReferralRows(CustomerBaseBuilder& builder) : im_(detail_builder_access::impl(builder)) {}
  ReferralRows(const ReferralRows&) = delete;
  ReferralRows& operator=(const ReferralRows&) = delete;

  bool add(const std::string_view* f, RowError& e) {
    ReferralOut row;
    if (!parse_referral(f, row, e)) return false;
    Pending& p = pending_.push([this](Pending& pending) { settle(pending); });
    p.from.assign(row.referrer);
    p.to.assign(row.referred);
    p.at = row.at;
    im_.customers.prefetch(p.from);
    im_.customers.prefetch(p.to);
    return true;
  }
  /// Settles every pending row.
  void settle_all() {
    pending_.settle_all([this](Pending& row) { settle(row); });
  }

private:
  struct Pending {
    std::string from, to;
    seconds_t at = 0;
  };
  void settle(const Pending& p) {
    const std::uint32_t from = im_.person(p.from);
    im_.add_referral(from, im_.person(p.to), p.at);
  }
  CustomerBaseBuilder::Impl& im_;
  PendingRows<Pending> pending_;
};

/// Loads the referrals table from a record source (through ReferralRows); reads the header first
/// unless `columns` is set.
void load_referral_records(detail::RecordSource& reader, std::optional<ColumnMap>& columns, TableCounts& counts,
                           RejectSink& sink, CustomerBaseBuilder& builder) {
  ReferralRows rows(builder);
  detail::read_table(reader, detail::referrals_schema(), columns, counts, sink,
                     [&](const std::string_view* f, RowError& e) { return rows.add(f, e); });
  rows.settle_all();
}

/// Loads the referrals table: a CSV file through load_blocks (people interned in file order after
/// each block is parsed on every thread), a source record by record.
void load_referrals(const TableInput& in, TableCounts& counts, RejectSink& sink, CustomerBaseBuilder& builder,
                    unsigned threads) {
  std::optional<ColumnMap> none;
  if (in.source) return load_referral_records(*in.source, none, counts, sink, builder);
  auto& im = detail_builder_access::impl(builder);
  bool reserved = false;
  load_blocks<ReferralOut>(
      in.path, detail::referrals_schema(), threads,
      [&] {
        // the customers are all in: their keys are looked up here, on every thread
        return
            [&im](const std::string_view* f, std::string_view, std::size_t line_offset, ReferralOut& out, RowError& e) {
              out.line_offset = line_offset;
              if (!parse_referral(f, out, e)) return false;
              const auto customer = [&](std::string_view id) {
                return im.customers.find(im.base.customer_id, id).value_or(ReferralOut::not_customer);
              };
              out.referrer_customer = customer(out.referrer);
              out.referred_customer = customer(out.referred);
              return true;
            };
      },
      [&](std::vector<Part<ReferralOut>>& parts, const ColumnMap& columns, std::size_t& line, std::size_t block_bytes) {
        if (!reserved) reserve_from_first_block(parts, in.path, block_bytes, im);
        reserved = true;
        merge_referrals(parts, in.path, columns, counts, sink, im, line);
      },
      [&](std::size_t offset, std::size_t line, std::optional<ColumnMap>& columns) {
        detail::CsvReader reader(in.path, offset, line, !columns);
        load_referral_records(reader, columns, counts, sink, builder);
      });
}

/// Loads the four tables (customers, contacts, purchases, referrals; the last three may be
/// absent) through the row rules, one after another, each to its end.
LoadResult load_tables(const TableInput (&in)[4], const LoadOptions& options) {
  LoadResult out;
  LoadReport& rep = out.report;
  RejectSink sink(rep, options);
  CustomerBaseBuilder builder;
  auto& im = detail_builder_access::impl(builder);
  load_customers(in[0], rep.customers, sink, builder, options.threads);
  if (in[1].present()) load_grouped_input<ContactOut>(in[1], rep.contacts, sink, im, options.threads);
  if (in[2].present()) load_grouped_input<PurchaseOut>(in[2], rep.purchases, sink, im, options.threads);
  if (in[3].present()) load_referrals(in[3], rep.referrals, sink, builder, options.threads);
  out.base = builder.finish();
  return out;
}

}  // namespace

LoadResult load_csv(const InputFiles& files, const LoadOptions& options) {
  if (files.customers.empty()) throw InputError("no customers file given (customers.csv is required)");
  if (!std::filesystem::exists(files.customers)) throw InputError(files.customers + ": customers file not found");
  const TableInput in[4] = {{files.customers}, {files.contacts}, {files.purchases}, {files.referrals}};
  return load_tables(in, options);
}

LoadResult detail::load_records(detail::RecordSources& sources, const LoadOptions& options) {
  if (!sources.customers) throw InputError("no customers table given (customers is required)");
  const TableInput in[4] = {{{}, sources.customers.get()},
                            {{}, sources.contacts.get()},
                            {{}, sources.purchases.get()},
                            {{}, sources.referrals.get()}};
  return load_tables(in, options);
}

}  // namespace rapport
