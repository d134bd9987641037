// rapport Python bindings: private helpers of rapport.dask — partitioned CSV reads into compact
// pieces, a partition's CustomerBase loaded from its pieces through the one row rule, a
// partition's value-model inputs (scoring/value_parts.hpp) and the steps of the global up-serve
// ranks (scoring/ranks.hpp).
//
// A piece is the compact form a table's rows take between tasks: `data`, the rows' raw record
// text one after another (each followed by '\n'), and `meta`, an array of shape (n, 3): per row
// its row number in the whole input table (0-based, global once the reader's offsets are added),
// its physical line in its file, and the end of its text in `data`. A cut's pieces hold values
// local to their range, as int32 (int64 only where a range is too big for int32, see PieceOut);
// a merge's hold global values, as int64.
#include "common.hpp"
#include "pieces.hpp"

#include "base/record_source.hpp"
#include "io/csv_reader.hpp"
#include "io/file_reader.hpp"
#include "io/load.hpp"
#include "scoring/ranks.hpp"
#include "scoring/value_parts.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numeric>
#include <optional>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace rapport_py {
namespace {

namespace detail = rapport::detail;
using Meta = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

/// The bytes of a file from byte `origin` on, read through the one file reader (io/file_reader:
/// read, not mapped) as far as a scan needs them.
class FileWindow {
public:
  /// `expect`: about how many bytes a scan will need (room made for them at once, so that the
  /// window grows without moving what it holds).
  FileWindow(const std::string& path, std::size_t origin, std::size_t expect = 0)
      : reader_(path, origin), origin_(origin) {
    reader_.advise_sequential();
    bytes_.reserve(expect);
  }
  /// Whether byte `pos` (of the file, `pos` >= origin) is in the file, reading on as needed.
  bool has(std::size_t pos) {
    while (pos >= end())
      if (!grow(pos + 1 - end())) return false;
    return true;
  }
  char at(std::size_t pos) const noexcept { return bytes_[pos - origin_]; }
  /// Bytes [from, to) of the file, all of them read already (has(to - 1)).
  std::string_view view(std::size_t from, std::size_t to) const noexcept {
    return {bytes_.data() + (from - origin_), to - from};
  }
  /// The end of the bytes read: the file's size once has() has returned false.
  std::size_t end() const noexcept { return origin_ + bytes_.size(); }
  /// `pos` held to the file's end (a position past it becomes the end), reading up to it.
  std::size_t clamp(std::size_t pos) { return pos <= origin_ || has(pos - 1) ? pos : end(); }

private:
  // Reads at least `want` more bytes' worth (1 MiB at the least) in one read; false at the end.
  bool grow(std::size_t want) {
    const std::size_t held = bytes_.size();
    bytes_.resize(held + std::max<std::size_t>(want, std::size_t{1} << 20));
    const std::size_t got = reader_.read_some(bytes_.data() + held, bytes_.size() - held);
    bytes_.resize(held + got);
    return got > 0;
  }
  detail::FileReader reader_;
  std::size_t origin_;
  std::string bytes_;
};

/// `values` (int32 or int64, 3 per row) as an (n, 3) array viewing the moved buffer (no copy).
template <class T>
py::array meta_array(std::vector<T>&& values) {
  auto* held = new std::vector<T>(std::move(values));
  py::capsule owner(held, [](void* q) { delete static_cast<std::vector<T>*>(q); });
  const auto rows = static_cast<py::ssize_t>(held->size() / 3);
  return py::array_t<T>({rows, py::ssize_t{3}}, {py::ssize_t{3 * sizeof(T)}, py::ssize_t{sizeof(T)}}, held->data(),
                        owner);
}

}  // namespace

std::uint64_t id_hash(std::string_view s) noexcept {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

py::tuple piece_tuple(PieceOut&& p) {
  auto* data = new std::string(std::move(p.data));
  py::capsule data_owner(data, [](void* q) { delete static_cast<std::string*>(q); });
  py::array_t<std::uint8_t> bytes(static_cast<py::ssize_t>(data->size()),
                                  reinterpret_cast<const std::uint8_t*>(data->data()), data_owner);
  return py::make_tuple(bytes, p.wide ? meta_array(std::move(p.meta)) : meta_array(std::move(p.meta32)));
}

namespace {

/// Whether a record's raw text agrees with the quote-parity rule the cuts are placed by: every
/// line ending inside it lies inside quotes (an odd count of '"' before it) and its quotes pair up.
bool regular(std::string_view raw) noexcept {
  std::size_t quotes = 0;
  for (const char c : raw) {
    if (c == '"')
      ++quotes;
    else if (c == '\n' && quotes % 2 == 0)
      return false;
  }
  return quotes % 2 == 0;
}

/// The bytes of a piece's data (bytes, or a uint8 array); `keep` holds the buffer while viewed.
std::string_view piece_bytes(const py::handle& data, std::vector<py::buffer_info>& keep) {
  keep.push_back(py::reinterpret_borrow<py::buffer>(data).request());
  const py::buffer_info& b = keep.back();
  if (b.ndim > 1 || (b.ndim == 1 && b.itemsize != 1 && b.shape[0] != 0))
    throw rapport::UsageError("rapport.dask: a piece's data must be bytes or a uint8 array");
  return {static_cast<const char*>(b.ptr), static_cast<std::size_t>(b.size * b.itemsize)};
}

/// The bucket of a quote-free line (no line ending) by its field `key` (fields split at every
/// ',', as the plain line splitter splits them): piece 0 for a line with fewer fields.
std::size_t plain_bucket(const char* p, const char* const eol, std::size_t key, std::size_t parts) noexcept {
  for (std::size_t k = 0; k < key; ++k) {
    const auto* comma = static_cast<const char*>(std::memchr(p, ',', static_cast<std::size_t>(eol - p)));
    if (!comma) return 0;
    p = comma + 1;
  }
  const auto* comma = static_cast<const char*>(std::memchr(p, ',', static_cast<std::size_t>(eol - p)));
  return id_hash({p, static_cast<std::size_t>((comma ? comma : eol) - p)}) % parts;
}

/// The records of `text` (no header; the first starts on physical line `line`) split by the hash
/// of field `key` into `parts` pieces, rows numbered from 0. A record without that field goes to
/// piece 0 (its partition rejects it). Text without a '"' or '\r' is one record per line (blank
/// lines skipped, as the reader skips them; a line's fields split at every ','), found with
/// memchr: the line end, then only the separators up to the key field; any other text is read by
/// the RFC 4180 reader. Returns (rows, every record regular).
std::pair<std::size_t, bool> cut_text(std::string_view text, std::size_t line, std::size_t key, std::size_t parts,
                                      const std::string& name, std::vector<PieceOut>& out) {
  out.assign(parts, {});
  for (auto& p : out) {
    p.data.reserve(text.size() / parts + text.size() / (8 * parts) + 64);
    p.meta32.reserve(3 * (text.size() / (40 * parts) + 16));
  }
  std::size_t rows = 0;
  if (text.empty()) return {0, true};
  const auto add = [&](std::size_t k, std::string_view raw, std::size_t at) {
    auto& p = out[k];
    p.data.append(raw);
    p.data.push_back('\n');
    p.add(static_cast<std::int64_t>(rows), static_cast<std::int64_t>(at));
    ++rows;
  };
  if (!std::memchr(text.data(), '"', text.size()) && !std::memchr(text.data(), '\r', text.size())) {
    const char* p = text.data();
    const char* const end = p + text.size();
    for (std::size_t at = line;; ++at) {
      const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      const char* const eol = nl ? nl : end;
      if (eol != p) add(plain_bucket(p, eol, key, parts), {p, static_cast<std::size_t>(eol - p)}, at);
      if (!nl || nl + 1 == end) break;  // a last line with or without its '\n'
      p = nl + 1;
    }
    return {rows, true};
  }
  detail::CsvReader reader(text, name);
  detail::CsvRecord rec;
  bool ok = true;
  while (reader.next(rec)) {
    ok = ok && regular(rec.raw);
    add(key < rec.fields.size() ? id_hash(rec.fields[key]) % parts : 0, rec.raw, rec.line + line - 1);
  }
  return {rows, ok};
}

/// The counts of '"' and of '\n' in `s` in one pass (16 bytes at a time where the target has
/// SSE2: per byte lane up to 255 matches are counted before the lanes are summed).
std::pair<std::size_t, std::size_t> count_quotes_newlines(std::string_view s) noexcept {
  std::size_t quotes = 0, newlines = 0, i = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), newline = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
  const auto sum = [&](__m128i lanes) {
    const __m128i s2 = _mm_sad_epu8(lanes, zero);  // two 64-bit sums of 8 lanes each
    return static_cast<std::size_t>(_mm_cvtsi128_si32(s2)) +
           static_cast<std::size_t>(_mm_cvtsi128_si32(_mm_srli_si128(s2, 8)));
  };
  while (s.size() - i >= 16) {
    const std::size_t blocks = std::min<std::size_t>((s.size() - i) / 16, 255);
    __m128i q = zero, n = zero;
    for (std::size_t b = 0; b < blocks; ++b, i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      q = _mm_sub_epi8(q, _mm_cmpeq_epi8(v, quote));  // a match is -1: one more in its lane
      n = _mm_sub_epi8(n, _mm_cmpeq_epi8(v, newline));
    }
    quotes += sum(q);
    newlines += sum(n);
  }
#endif
  for (; i < s.size(); ++i) {
    quotes += s[i] == '"';
    newlines += s[i] == '\n';
  }
  return {quotes, newlines};
}

/// Where the first record at or after byte `pos` of `file` starts, given the quote parity at
/// `pos` (count of '"' from the first data byte `data_start`, mod 2): `pos` itself when it
/// follows an unquoted line ending, else just after the next one (or the end of the file).
std::size_t record_start(FileWindow& file, std::size_t pos, bool quoted, std::size_t data_start) {
  if (!file.has(pos)) return file.end();
  if (pos == 0 || pos == data_start || (file.at(pos - 1) == '\n' && !quoted)) return pos;
  for (std::size_t i = pos; file.has(i); ++i) {
    const char c = file.at(i);
    if (c == '"')
      quoted = !quoted;
    else if (c == '\n' && !quoted)
      return i + 1;
  }
  return file.end();
}

/// (header record's raw text, its fields, first data byte, physical line of the next line).
py::tuple csv_header(const std::string& path) {
  detail::CsvReader reader(path);
  detail::CsvRecord rec;
  if (!reader.next(rec)) return py::make_tuple(py::none(), py::list(), 0, 1);
  py::list fields;
  for (const auto f : rec.fields) fields.append(make_str(f));
  const auto newlines = static_cast<std::size_t>(std::count(rec.raw.begin(), rec.raw.end(), '\n'));
  return py::make_tuple(py::bytes(std::string(rec.raw)), fields, reader.bytes(), rec.line + newlines + 1);
}

/// The records starting in bytes [begin, end) of a file split into `parts` pieces by the hash of
/// field `key`. `quoted`: the quote parity at `begin`, `line`: the physical line at `begin`.
/// Returns ((rows, regular, first record start, next range's start), piece 0, ..., piece P-1).
py::tuple csv_cut(const std::string& path, std::size_t begin, std::size_t end, bool quoted, std::size_t line,
                  std::size_t data_start, std::size_t key, std::size_t parts) {
  if (parts == 0) throw rapport::UsageError("rapport.dask: parts must be at least 1");
  std::vector<PieceOut> pieces;
  std::size_t rows = 0, start = 0, stop = 0, quotes = 0, newlines = 0;
  bool ok = true;
  {
    py::gil_scoped_release release;
    // from the byte before `begin` (whether a record starts at `begin`) to the end of the record
    // that crosses `end`: the range's bytes and what a scan past either end needs, no more
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    const std::size_t from = ec ? begin : std::min<std::size_t>(begin, size);
    const std::size_t origin = from > 0 ? from - 1 : 0;
    const std::size_t to = ec ? end : std::min<std::size_t>(std::max(end, from), size);
    FileWindow file(path, origin, to - origin + (std::size_t{2} << 20));  // the record crossing `end` too
    begin = file.clamp(begin);
    end = std::max(begin, file.clamp(end));
    start = record_start(file, begin, quoted, data_start);
    const std::string_view range = file.view(begin, end);
    std::tie(quotes, newlines) = count_quotes_newlines(range);
    const bool q_end = quoted != (quotes % 2 == 1);
    stop = std::max(start, record_start(file, end, q_end, data_start));
    const std::string_view before_start = file.view(begin, start);
    const auto skipped = static_cast<std::size_t>(std::count(before_start.begin(), before_start.end(), '\n'));
    std::tie(rows, ok) = cut_text(file.view(start, stop), line + skipped, key, parts, path, pieces);
  }
  py::tuple out(parts + 1);
  out[0] = py::make_tuple(rows, ok, start, stop, quotes, newlines);
  for (std::size_t k = 0; k < parts; ++k) out[k + 1] = piece_tuple(std::move(pieces[k]));
  return out;
}

/// As csv_cut for CSV text already in memory (a DataFrame partition written as CSV, no header).
py::tuple text_cut(const py::bytes& text, std::size_t key, std::size_t parts) {
  if (parts == 0) throw rapport::UsageError("rapport.dask: parts must be at least 1");
  const std::string_view view(text);
  std::vector<PieceOut> pieces;
  std::pair<std::size_t, bool> got;
  {
    py::gil_scoped_release release;
    got = cut_text(view, 2, key, parts, "<frame>", pieces);
  }
  py::tuple out(parts + 1);
  out[0] = py::make_tuple(got.first, got.second, 0, view.size(), 0, 0);
  for (std::size_t k = 0; k < parts; ++k) out[k + 1] = piece_tuple(std::move(pieces[k]));
  return out;
}

using Meta32 = py::array_t<std::int32_t, py::array::c_style>;

/// A piece's rows as views into its data; its meta int32 (a cut's) or int64 (a merge's).
struct PieceView {
  std::string_view data;
  const std::int32_t* meta32;  // null where the meta is int64
  const std::int64_t* meta64;
  std::size_t rows;
  std::int64_t offset;       // added to the rows
  std::int64_t line_offset;  // added to the lines
  /// Value `c` (0 row, 1 line, 2 end) of row `i`, as stored (no offset added).
  std::int64_t at(std::size_t i, std::size_t c) const noexcept {
    return meta32 ? meta32[3 * i + c] : meta64[3 * i + c];
  }
};

std::vector<PieceView> piece_views(const py::list& pieces, const std::vector<std::int64_t>& offsets,
                                   const std::vector<std::int64_t>& line_offsets, std::vector<py::array>& keep,
                                   std::vector<py::buffer_info>& bufs) {
  std::vector<PieceView> out;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const auto t = pieces[i].cast<py::tuple>();
    const bool narrow = Meta32::check_(t[1]);
    keep.push_back(narrow ? py::array(t[1].cast<Meta32>()) : py::array(t[1].cast<Meta>()));
    const py::array& m = keep.back();
    if (m.ndim() != 2 || m.shape(1) != 3)
      throw rapport::UsageError("rapport.dask: a piece's meta must have shape (n, 3)");
    out.push_back({piece_bytes(t[0], bufs), narrow ? static_cast<const std::int32_t*>(m.data()) : nullptr,
                   narrow ? nullptr : static_cast<const std::int64_t*>(m.data()), static_cast<std::size_t>(m.shape(0)),
                   offsets.empty() ? 0 : offsets.at(i), line_offsets.empty() ? 0 : line_offsets.at(i)});
  }
  return out;
}

/// Rows of one piece (meta `T`) appended to a merge's int64 meta at `m`: rows and lines shifted
/// by the piece's offsets, ends by `base` (where the piece's data starts in the merged data).
template <class T>
std::int64_t* shift_rows(const T* meta, const PieceView& v, std::int64_t base, std::int64_t* m) noexcept {
  for (std::size_t i = 0; i < v.rows; ++i, m += 3) {
    m[0] = meta[3 * i] + v.offset;
    m[1] = meta[3 * i + 1] + v.line_offset;
    m[2] = meta[3 * i + 2] + base;
  }
  return m;
}

/// Pieces (each row number plus its piece's offset) joined into one piece in row order, leaving
/// out the rows listed in `drop` (sorted global row numbers). The pieces' meta may be int32 or
/// int64; the merged meta is int64.
py::tuple merge_pieces(const py::list& pieces, const std::vector<std::int64_t>& offsets,
                       const std::vector<std::int64_t>& drop, const std::vector<std::int64_t>& line_offsets) {
  if ((!offsets.empty() && offsets.size() != pieces.size()) ||
      (!line_offsets.empty() && line_offsets.size() != pieces.size()))
    throw rapport::UsageError("rapport.dask: one offset per piece");
  std::vector<py::array> keep;
  std::vector<py::buffer_info> bufs;
  const auto views = piece_views(pieces, offsets, line_offsets, keep, bufs);  // the bytes stay referenced by `pieces`
  PieceOut out;
  out.wide = true;
  {
    py::gil_scoped_release release;
    // pieces already in row order (a partition's pieces, range by range) and nothing dropped:
    // their buffers one after another, rows and ends shifted
    bool ordered = drop.empty();
    std::int64_t last = std::numeric_limits<std::int64_t>::min();
    for (const PieceView& v : views) {
      if (!ordered || v.rows == 0) continue;
      ordered = v.at(0, 0) + v.offset > last;
      last = v.at(v.rows - 1, 0) + v.offset;
    }
    if (ordered) {
      std::size_t bytes = 0, rows = 0;
      for (const PieceView& v : views) bytes += v.data.size(), rows += v.rows;
      out.data.reserve(bytes);
      out.meta.resize(3 * rows);
      std::int64_t* m = out.meta.data();
      for (const PieceView& v : views) {
        const auto base = static_cast<std::int64_t>(out.data.size());
        m = v.meta32 ? shift_rows(v.meta32, v, base, m) : shift_rows(v.meta64, v, base, m);
        out.data.append(v.data);
      }
    }
  }
  if (out.meta.empty()) {
    py::gil_scoped_release release;
    struct Row {
      std::int64_t row;
      std::uint32_t piece;
      std::uint32_t index;
    };
    std::vector<Row> rows;
    std::size_t bytes = 0;
    for (std::size_t p = 0; p < views.size(); ++p) {
      for (std::size_t i = 0; i < views[p].rows; ++i)
        rows.push_back(
            {views[p].at(i, 0) + views[p].offset, static_cast<std::uint32_t>(p), static_cast<std::uint32_t>(i)});
      bytes += views[p].data.size();
    }
    if (!std::is_sorted(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.row < b.row; }))
      std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.row < b.row; });
    out.data.reserve(bytes);
    out.meta.reserve(rows.size() * 3);
    auto d = drop.begin();
    for (const Row& r : rows) {
      while (d != drop.end() && *d < r.row) ++d;
      if (d != drop.end() && *d == r.row) continue;
      const PieceView& v = views[r.piece];
      const auto b = static_cast<std::size_t>(r.index == 0 ? 0 : v.at(r.index - 1, 2));
      out.data.append(v.data.substr(b, static_cast<std::size_t>(v.at(r.index, 2)) - b));
      out.meta.insert(out.meta.end(),
                      {r.row, v.at(r.index, 1) + v.line_offset, static_cast<std::int64_t>(out.data.size())});
    }
  }
  return piece_tuple(std::move(out));
}

/// A record source over a header and one piece: the loader sees each row's global row number as
/// its line (row + 2, as for a DataFrame), so rejects are numbered by row of the whole input.
/// Quote-free data (the usual case) is split in place by the loader's plain line splitter, no
/// copy of the text made; data with a '"' or '\r' goes through the RFC 4180 reader over a copy
/// of the header and the data.
class PieceSource final : public detail::RecordSource {
public:
  /// `data` must stay alive and unchanged while the source is read.
  PieceSource(std::string name, std::string_view header, std::string_view data, std::vector<std::int64_t> rows)
      : name_(std::move(name)),
        header_(std::string(header), name_),
        rows_(std::move(rows)),
        plain_(data.find('"') == std::string_view::npos && data.find('\r') == std::string_view::npos),
        split_(data.data(), data.data() + data.size()) {
    if (!plain_) {
      std::string text;
      text.reserve(header.size() + 1 + data.size());
      text.append(header).push_back('\n');
      text.append(data);
      reader_.emplace(text, name_);
      header_done_ = true;
      header_in_text_ = true;
    }
  }
  const std::string& name() const noexcept override { return name_; }
  bool next(detail::CsvRecord& rec) override {
    if (!header_done_) {  // the header record from its own reader
      header_done_ = true;
      return header_.next(rec);
    }
    if (plain_) {
      if (!split_.next(rec.fields, rec.raw)) return false;
      rec.error = nullptr;
      rec.error_column = 0;
      rec.typed = nullptr;
    } else {
      if (!reader_->next(rec)) return false;
      if (header_in_text_) {
        header_in_text_ = false;
        return true;
      }
    }
    if (next_ >= rows_.size()) throw rapport::InternalError("rapport.dask: a piece holds more records than rows");
    rec.line = static_cast<std::size_t>(rows_[next_++] + 2);
    return true;
  }

private:
  std::string name_;
  detail::CsvReader header_;
  std::vector<std::int64_t> rows_;
  bool plain_;
  detail::PlainLineSplitter split_;
  std::optional<detail::CsvReader> reader_;
  std::size_t next_ = 0;
  bool header_done_ = false;
  bool header_in_text_ = false;
};

/// A CustomerBase from one piece per table: `tables` holds four entries (customers, contacts,
/// purchases, referrals), each None or (name, header raw text, data, meta). The pieces' bytes
/// are read in place (held by `tables` for the length of the load).
std::shared_ptr<BaseHolder> piece_base(const py::list& tables) {
  if (tables.size() != 4) throw rapport::UsageError("rapport.dask: four tables expected");
  std::unique_ptr<detail::RecordSource> sources[4];
  std::vector<py::buffer_info> bufs;
  bufs.reserve(8);  // the views below point into these: no reallocation
  for (std::size_t t = 0; t < 4; ++t) {
    if (tables[t].is_none()) continue;
    const auto spec = tables[t].cast<py::tuple>();
    const auto meta = spec[3].cast<Meta>();
    if (meta.ndim() != 2 || meta.shape(1) != 3)
      throw rapport::UsageError("rapport.dask: a piece's meta must have shape (n, 3)");
    std::vector<std::int64_t> rows(static_cast<std::size_t>(meta.shape(0)));
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = meta.data()[3 * i];
    const std::string_view h = piece_bytes(spec[1], bufs), d = piece_bytes(spec[2], bufs);
    sources[t] = std::make_unique<PieceSource>(spec[0].cast<std::string>(), h, d, std::move(rows));
  }
  if (!sources[0]) throw rapport::UsageError("rapport.dask: the customers table is required");
  auto holder = std::make_shared<BaseHolder>();
  holder->from_frames = true;
  py::gil_scoped_release release;
  detail::RecordSources in{std::move(sources[0]), std::move(sources[1]), std::move(sources[2]), std::move(sources[3])};
  auto loaded = detail::load_records(in, rapport::LoadOptions{});
  holder->base = std::move(loaded.base);
  holder->report = std::move(loaded.report);
  return holder;
}

// ---------------------------------------------------------------- value-model inputs (stage 4)

py::tuple span_tuple(const detail::ValueSpan& s) { return py::make_tuple(s.any_ended, s.first, s.last); }

/// {"span": (any ended, first, last), "bgnbd": (x, t_x, T, weights), "gamma_gamma": (x, m, weights)}.
py::dict parts_dict(detail::ValueParts&& p) {
  py::dict d;
  d["span"] = span_tuple(p.span);
  d["bgnbd"] = py::make_tuple(to_numpy(std::move(p.bgnbd.x)), to_numpy(std::move(p.bgnbd.t_x)),
                              to_numpy(std::move(p.bgnbd.T)), to_numpy(std::move(p.bgnbd.weights)));
  d["gamma_gamma"] = py::make_tuple(to_numpy(std::move(p.gamma_gamma.x)), to_numpy(std::move(p.gamma_gamma.m)),
                                    to_numpy(std::move(p.gamma_gamma.weights)));
  return d;
}

using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;
using Counts = py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>;

template <class T>
std::vector<T> vector_of(const py::array_t<T, py::array::c_style | py::array::forcecast>& a) {
  if (a.ndim() != 1) throw rapport::UsageError("rapport.dask: a one-dimensional array expected");
  return {a.data(), a.data() + a.size()};
}

/// Columns of one pattern family from a tuple of arrays (the last the weights), all one length.
void columns_from(const py::handle& t, const std::vector<std::vector<double>*>& into) {
  const auto cols = t.cast<py::tuple>();
  if (cols.size() != into.size()) throw rapport::UsageError("rapport.dask: a value part's patterns are malformed");
  for (std::size_t k = 0; k < into.size(); ++k) {
    *into[k] = vector_of(cols[k].cast<Doubles>());
    if (into[k]->size() != into[0]->size())
      throw rapport::UsageError("rapport.dask: a value part's pattern columns differ in length");
  }
}

detail::ValueParts parts_from(const py::handle& h) {
  const auto d = h.cast<py::dict>();
  detail::ValueParts p;
  p.span = value_span_of(d["span"].cast<py::tuple>());
  columns_from(d["bgnbd"], {&p.bgnbd.x, &p.bgnbd.t_x, &p.bgnbd.T, &p.bgnbd.weights});
  columns_from(d["gamma_gamma"], {&p.gamma_gamma.x, &p.gamma_gamma.m, &p.gamma_gamma.weights});
  return p;
}

/// A partition's value-model inputs as of `as_of_day` without scoring it (value_input_columns):
/// its span and fit patterns (parts_dict), and with the whole base's `span` its purchase-model
/// inputs as bytes ("inputs", gather_value_inputs).
py::dict value_parts(const std::shared_ptr<BaseHolder>& base, int as_of_day, const rapport::ScoringConfig& config,
                     const std::optional<py::tuple>& span) {
  std::optional<detail::ValueSpan> whole;
  if (span) whole = value_span_of(*span);
  detail::ValueParts parts;
  std::optional<std::string> inputs;
  {
    py::gil_scoped_release release;
    const rapport::ScoreResult columns = detail::value_input_columns(base->base, as_of_day, config);
    parts = detail::value_parts(base->base, columns);
    if (whole) inputs = detail::to_bytes(detail::gather_value_inputs(base->base, columns, config, *whole));
  }
  py::dict d = parts_dict(std::move(parts));
  if (inputs) d["inputs"] = py::bytes(*inputs);
  return d;
}

/// A partition's interval patterns without scoring it (value_interval_patterns; GIL released):
/// interval_patterns_dict (each scored customer's purchase and spend inputs under the model).
py::dict value_interval_patterns(const std::shared_ptr<BaseHolder>& base, int as_of_day,
                                 const rapport::ScoringConfig& config) {
  rapport::detail::IntervalPatterns p;
  {
    py::gil_scoped_release release;
    p = detail::value_interval_patterns(base->base, as_of_day, config);
  }
  return interval_patterns_dict(std::move(p));
}

/// The partitions' value parts merged (merge_value_parts): the whole base's.
py::dict merge_value_parts(const py::list& parts) {
  std::vector<detail::ValueParts> each;
  for (const auto& p : parts) each.push_back(parts_from(p));
  detail::ValueParts merged;
  {
    py::gil_scoped_release release;
    merged = detail::merge_value_parts(each);
  }
  return parts_dict(std::move(merged));
}

// ---------------------------------------------------------------- up-serve ranks (stage 6)

template <class T, class F>
std::vector<std::vector<T>> vectors_of(const py::list& arrays, F&& cast) {
  std::vector<std::vector<T>> out;
  out.reserve(arrays.size());
  for (const auto& a : arrays) out.push_back(cast(a));
  return out;
}

/// (size, sample) of a partition's up-serve values: rank_sample.
py::tuple rank_sample(const Doubles& values) {
  const auto v = vector_of(values);
  std::vector<double> sample;
  {
    py::gil_scoped_release release;
    sample = detail::rank_sample(v, 1);
  }
  return py::make_tuple(v.size(), to_numpy(std::move(sample)));
}

py::array_t<double> rank_bounds(const py::list& samples, std::size_t n, std::size_t parts) {
  const auto s = vectors_of<double>(samples, [](const py::handle& a) { return vector_of(a.cast<Doubles>()); });
  std::vector<double> bounds;
  {
    py::gil_scoped_release release;
    bounds = detail::rank_bounds(s, n, parts);
  }
  return to_numpy(std::move(bounds));
}

py::tuple split_by_bucket(const Doubles& values, const Doubles& bounds) {
  const auto v = vector_of(values), b = vector_of(bounds);
  std::vector<std::vector<double>> split;
  {
    py::gil_scoped_release release;
    split = detail::split_by_bucket(v, b);
  }
  py::tuple out(split.size());
  for (std::size_t k = 0; k < split.size(); ++k) out[k] = to_numpy(std::move(split[k]));
  return out;
}

/// (count, [(less, equal) per partition]) of one bucket: bucket_ranks.
py::tuple bucket_ranks(const py::list& pieces) {
  const auto p = vectors_of<double>(pieces, [](const py::handle& a) { return vector_of(a.cast<Doubles>()); });
  detail::BucketRanks r;
  {
    py::gil_scoped_release release;
    r = detail::bucket_ranks(p, 1);
  }
  py::list parts;
  for (std::size_t k = 0; k < r.less.size(); ++k)
    parts.append(py::make_tuple(to_numpy(std::move(r.less[k])), to_numpy(std::move(r.equal[k]))));
  return py::make_tuple(r.count, parts);
}

py::array_t<double> assign_ranks(const Doubles& values, const Doubles& bounds, const std::vector<std::size_t>& counts,
                                 const py::list& pieces) {
  const auto v = vector_of(values), b = vector_of(bounds);
  std::vector<std::vector<std::uint64_t>> less, equal;
  for (const auto& piece : pieces) {
    const auto t = piece.cast<py::tuple>();
    if (t.size() != 2) throw rapport::UsageError("rapport.dask: a bucket's ranks are a (less, equal) pair");
    less.push_back(vector_of(t[0].cast<Counts>()));
    equal.push_back(vector_of(t[1].cast<Counts>()));
  }
  std::vector<double> score;
  {
    py::gil_scoped_release release;
    score = detail::assign_ranks(v, b, counts, less, equal);
  }
  return to_numpy(std::move(score));
}

}  // namespace

void init_dask(py::module_& m) {
  m.def("_csv_header", &csv_header, py::arg("path"),
        "(header raw bytes, header fields, first data byte, physical line after the header) of a CSV file.");
  m.def("_csv_cut", &csv_cut, py::arg("path"), py::arg("begin"), py::arg("end"), py::arg("quoted"), py::arg("line"),
        py::arg("data_start"), py::arg("key"), py::arg("parts"),
        "The records starting in bytes [begin, end) of a CSV file cut by customer-id hash into `parts` pieces: "
        "((rows, regular, start, stop, quotes, newlines), piece, ...); each piece (uint8 data, int32 meta (n, 3), "
        "int64 where a range is too big: "
        "row, line, end); quotes and newlines counted in [begin, end).");
  m.def("_text_cut", &text_cut, py::arg("text"), py::arg("key"), py::arg("parts"),
        "As _csv_cut for header-less CSV text in memory (a DataFrame partition).");
  m.def("_merge_pieces", &merge_pieces, py::arg("pieces"), py::arg("offsets") = std::vector<std::int64_t>{},
        py::arg("drop") = std::vector<std::int64_t>{}, py::arg("line_offsets") = std::vector<std::int64_t>{},
        "Pieces joined into one in global row order (row + its piece's offset, line + its line offset), without "
        "the rows in `drop`.");
  m.def("_piece_base", &piece_base, py::arg("tables"),
        "A CustomerBase loaded from one piece per table through the one row rule (GIL released); rejects are "
        "numbered by global row.");
  m.def("_value_parts", &value_parts, py::arg("base"), py::arg("as_of_day"), py::arg("config"),
        py::arg("span") = py::none(),
        "A partition's value-model inputs without scoring it (GIL released): {'span', 'bgnbd': (x, t_x, T, "
        "weights), 'gamma_gamma': (x, m, weights)} as distinct patterns with counts, and with the whole base's "
        "`span` its purchase-model inputs as bytes ('inputs').");
  m.def("_value_interval_patterns", &value_interval_patterns, py::arg("base"), py::arg("as_of_day"), py::arg("config"),
        "A partition's interval patterns under its config's (resolved) model, without scoring it: the input of "
        "_interval_draws.");
  m.def("_merge_value_parts", &merge_value_parts, py::arg("parts"),
        "The partitions' value parts merged into the whole base's (spans widened, patterns summed).");
  m.def("_rank_sample", &rank_sample, py::arg("values"),
        "(size, up to 33 evenly spaced sorted values) of a partition's up-serve values: the bounds' sample.");
  m.def("_rank_bounds", &rank_bounds, py::arg("samples"), py::arg("n"), py::arg("parts"),
        "The up-serve buckets' bounds from every partition's sample, for n values in `parts` partitions.");
  m.def("_split_by_bucket", &split_by_bucket, py::arg("values"), py::arg("bounds"),
        "A partition's values split by bucket (len(bounds) + 1 arrays, each in row order).");
  m.def("_bucket_ranks", &bucket_ranks, py::arg("pieces"),
        "(count, [(less, equal) uint64 per partition]) of one bucket's values from every partition.");
  m.def("_assign_ranks", &assign_ranks, py::arg("values"), py::arg("bounds"), py::arg("counts"), py::arg("pieces"),
        "A partition's up-serve percentiles from every bucket's count and its (less, equal) in each bucket.");
}

}  // namespace rapport_py
