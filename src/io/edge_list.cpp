// Edge-list reading: SNAP text (whitespace-separated id pairs) and referral CSV (through the
// one CSV reader and the referral row rules), with the ids interned in first-seen order.
#include <rapport/io/edge_list.hpp>

#include <rapport/error.hpp>

#include "base/id_index.hpp"
#include "base/rows.hpp"
#include "io/csv_reader.hpp"
#include "io/edge_list.hpp"
#include "io/file_reader.hpp"

#include "util/parallel.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace rapport::detail {

std::size_t snap_block_bytes = std::size_t{1} << 23;

namespace {

[[noreturn]] void fail_at(const std::string& path, std::size_t line, const std::string& reason) {
  throw InputError(path + ":" + std::to_string(line) + ": " + reason);
}

/// Interns id tokens to dense indices in first-seen order. Canonical decimal integers (no sign,
/// no leading zero, at most 9 digits) below a size-dependent limit use a direct lookup table;
/// every other token goes through the hash index (IdIndex) over the names.
/// The two key spaces are disjoint, so each distinct token gets exactly one index.
class Interner {
public:
  Interner(std::vector<std::string>& names, std::size_t input_bytes)
      : names_(names), dense_limit_(input_bytes / 2 + 65536) {}

  std::uint32_t intern(std::string_view tok) {
    std::uint32_t value = 0;
    if (dense_key(tok, value)) return intern_dense(value);
    return hashed(tok);
  }

  /// True when `tok` goes through the direct table (a canonical decimal below the limit);
  /// `value` is then its value.
  bool dense_key(std::string_view tok, std::uint32_t& value) const noexcept {
    return canonical_uint(tok, value) && value < dense_limit_;
  }
  std::size_t dense_limit() const noexcept { return dense_limit_; }

  /// intern(tok) for a token with dense_key(tok) true and that value: a canonical decimal, so
  /// the token is the value's decimal text.
  std::uint32_t intern_dense(std::uint32_t value) {
    if (value < dense_.size() && dense_[value] != 0) return dense_[value] - 1;
    return add_dense(value);
  }

private:
  // intern_dense for a value not seen yet (or beyond the table); kept out of line so that
  // intern_dense's common case inlines into the parsing loop.
  [[gnu::noinline]] std::uint32_t add_dense(std::uint32_t value) {
    if (value >= dense_.size()) {
      const std::size_t grown = std::max<std::size_t>(value + std::size_t{1}, dense_.size() * 2);
      dense_.resize(std::min<std::size_t>(grown, dense_limit_), 0);
    }
    std::uint32_t& slot = dense_[value];
    if (slot == 0) {
      char text[16];
      slot = add(
          std::string_view(text, static_cast<std::size_t>(std::to_chars(text, text + sizeof text, value).ptr - text)));
    }
    return slot - 1;
  }

  static bool canonical_uint(std::string_view tok, std::uint32_t& value) noexcept {
    if (tok.empty() || tok.size() > 9 || (tok[0] == '0' && tok.size() > 1)) return false;
    std::uint32_t v = 0;
    for (const char ch : tok) {
      const auto d = static_cast<unsigned>(static_cast<unsigned char>(ch) - '0');
      if (d > 9) return false;
      v = v * 10 + d;
    }
    value = v;
    return true;
  }

  // Returns index + 1.
  std::uint32_t add(std::string_view tok) {
    if (names_.size() >= std::numeric_limits<std::uint32_t>::max() - 1)
      throw InputError("read_edge_list: too many distinct node ids");
    names_.emplace_back(tok);
    return static_cast<std::uint32_t>(names_.size());
  }

  std::uint32_t hashed(std::string_view tok) {
    const auto next = static_cast<std::uint32_t>(names_.size());
    const std::uint32_t found = hashed_.find_or_insert(names_, tok, next);
    return found != IdIndex::empty ? found : add(tok) - 1;
  }

  std::vector<std::string>& names_;
  std::vector<std::uint32_t> dense_;  // value -> index + 1 (0 = unseen)
  std::size_t dense_limit_;
  IdIndex hashed_;  // the other tokens, over names_
};

inline bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

/// Where the data of an edge-list file start: the first line that is neither blank nor a `#`
/// comment. `csv`: that line holds a comma (a CSV header); `offset`: its byte offset (past a
/// UTF-8 BOM); `line`: its 1-based number.
struct Sniff {
  bool csv = false;
  std::size_t offset = 0;
  std::size_t line = 1;
};

Sniff sniff(const std::string& path) {
  FileReader file(path);
  std::vector<char> buf(std::size_t{1} << 16);
  std::size_t filled = 0, start = 0;  // the current line starts at buf[start]
  std::size_t dropped = 0;            // file offset of buf[0]
  bool eof = false;
  for (std::size_t line = 1;; ++line) {
    const void* nl = nullptr;
    while (!(nl = std::memchr(buf.data() + start, '\n', filled - start)) && !eof) {
      dropped += start;
      eof = file.refill(buf, start, filled) == 0;
      start = 0;
    }
    const std::size_t end = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - buf.data()) : filled;
    if (!nl && start == end) return Sniff{};  // the file ends with a line feed: no more lines
    std::string_view t(buf.data() + start, end - start);
    std::size_t offset = dropped + start;
    if (line == 1 && t.starts_with("\xEF\xBB\xBF")) {
      t.remove_prefix(3);
      offset += 3;
    }
    std::size_t i = 0;
    while (i < t.size() && (is_space(t[i]) || t[i] == '\r')) ++i;
    if (i < t.size() && t[i] != '#') return Sniff{t.find(',') != std::string_view::npos, offset, line};
    if (!nl) return Sniff{};
    start = end + 1;
  }
}

/// A referrals CSV through the one CSV reader and the referral row rules: ids verbatim, an
/// empty id or a self-referral rejects the row (reported, the run goes on); `at` is checked
/// when the column is there.
EdgeList read_referral_csv(const std::string& path, const Sniff& where, const LoadOptions& options) {
  EdgeList out;
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  Interner interner(out.names, ec ? 0 : static_cast<std::size_t>(bytes));
  RejectSink sink(out.report, options);
  CsvReader reader(path, where.offset, where.line, where.offset == 0);
  std::optional<ColumnMap> columns;
  read_table(reader, referral_edges_schema(), columns, out.report.referrals, sink,
             [&](const std::string_view* f, RowError& e) {
               using namespace referral_field;
               const bool has_at = columns->position[at] != 0;
               const auto t = has_at ? parse_timestamp(f[at]) : Parsed<seconds_t>{0, nullptr};
               RowError buf;
               const RowError* failure = conversion_failure(t, at, buf);
               if (!check_referral(f[referrer_id], f[referred_id], t.value.value_or(0), failure, e)) return false;
               out.sources.push_back(interner.intern(f[referrer_id]));
               out.targets.push_back(interner.intern(f[referred_id]));
               return true;
             });
  return out;
}

/// A block (whole lines) of a SNAP file read on its own: ids interned in first-seen order
/// within the block (into `names`, or into the caller's interner for the first block), edges
/// as those ids.
struct SnapBlock {
  std::vector<std::string> names;
  std::vector<std::uint32_t> sources, targets;
  std::size_t lines = 0;       ///< lines scanned (all of them unless there is an error)
  std::size_t error_line = 0;  ///< 1-based line (within the block) of the first malformed line; 0 = none
  std::string error;           ///< its reason
};

/// Length (0..8) of the run of ASCII digits at p[0..8) and, in `value`, the number they spell
/// (valid when the length is 1..8). Reads 8 bytes. Bytes after the first non-digit may be
/// garbled by the word arithmetic's carries and borrows, but they are never used.
inline unsigned digit_run(const char* p, std::uint32_t& value) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  const std::uint64_t hi = 0xF0 * ones, lo7 = 0x7F * ones, top = 0x80 * ones;
  // A byte is a digit iff its high nibble is 3 and adding 6 keeps it 3.
  const std::uint64_t nondigit = ((w & hi) ^ (0x30 * ones)) | (((w + 0x06 * ones) & hi) ^ (0x30 * ones));
  const std::uint64_t flags = (((nondigit & lo7) + lo7) | nondigit) & top;  // high bit: non-digit
  const unsigned len = flags == 0 ? 8U : static_cast<unsigned>(std::countr_zero(flags)) / 8U;
  if (len == 0) return 0;
  // The digits, most significant first in memory, moved to the top bytes: a run "123" becomes
  // "00000123"; then the usual SWAR conversion of eight digits.
  std::uint64_t v = (w - 0x30 * ones) << (8U * (8U - len));
  v = (v * 10) + (v >> 8);
  v = (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
       (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
      32;
  value = static_cast<std::uint32_t>(v);
  return len;
}

/// The general rules for one line: '#' comments and blank lines skipped, otherwise exactly two
/// whitespace-separated ids. Returns false (with the reason in `out`) for a malformed line.
bool scan_snap_line(Interner& interner, std::string_view line, SnapBlock& out) {
  std::size_t i = 0;
  const std::size_t len = line.size();
  while (i < len && is_space(line[i])) ++i;
  if (i == len || line[i] == '#') return true;
  std::string_view tok[2];
  int found = 0;
  while (i < len) {
    const std::size_t b = i;
    while (i < len && !is_space(line[i])) ++i;
    if (found == 2) {
      out.error = "expected 2 ids, found more (\"" + std::string(line) + "\")";
      return false;
    }
    tok[found++] = line.substr(b, i - b);
    while (i < len && is_space(line[i])) ++i;
  }
  if (found != 2) {
    out.error = "expected 2 ids, found 1 (\"" + std::string(line) + "\")";
    return false;
  }
  out.sources.push_back(interner.intern(tok[0]));
  out.targets.push_back(interner.intern(tok[1]));
  return true;
}

/// Fast path for the common line "<digits><spaces or tabs><digits>" (the line without its '\n';
/// a final '\r' allowed) whose ids are dense keys of at most 7 digits: interns them, appends the
/// edge and returns true; false when the line needs the general rules. Reads up to 8 bytes past
/// each token start, so the caller guarantees 40 readable bytes from p.
inline bool fast_snap_line(const char* p, std::size_t len, Interner& interner, SnapBlock& out) {
  if (len < 3 || len > 32) return false;
  const std::size_t dense_limit = interner.dense_limit();
  std::uint32_t a = 0, b = 0;
  const unsigned la = digit_run(p, a);
  if (la == 0 || la == 8 || (p[0] == '0' && la > 1) || a >= dense_limit) return false;
  std::size_t i = la;
  if (p[i] != ' ' && p[i] != '\t') return false;
  while (i < len && (p[i] == ' ' || p[i] == '\t')) ++i;
  const unsigned lb = digit_run(p + i, b);
  if (lb == 0 || lb == 8 || (p[i] == '0' && lb > 1) || b >= dense_limit) return false;
  i += lb;
  if (i != len && !(i + 1 == len && p[i] == '\r')) return false;
  out.sources.push_back(interner.intern_dense(a));
  out.targets.push_back(interner.intern_dense(b));
  return true;
}

/// Bit k set where p[k] == '\n', for k in [0, 64) (word arithmetic without carries between
/// bytes, so the mask is exact).
inline std::uint64_t newline_mask(const char* p) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, lo7 = 0x7F * ones, top = 0x80 * ones;
  std::uint64_t mask = 0;
  for (unsigned k = 0; k < 8; ++k) {
    std::uint64_t w;
    std::memcpy(&w, p + 8 * k, 8);
    const std::uint64_t x = w ^ (0x0A * ones);                     // zero byte: '\n'
    const std::uint64_t nl = ~(((x & lo7) + lo7) | x) & top;       // high bit: zero byte
    mask |= ((nl >> 7) * 0x0102040810204080ULL >> 56) << (8 * k);  // gather the 8 bits
  }
  return mask;
}

/// Reads the whole lines of `data` (a block of a SNAP file) into `out`, interning the ids with
/// `interner`; stops at the first malformed line. The line ends are found 64 bytes at a time
/// ahead of the parsing, so consecutive lines are parsed independently of each other.
void scan_snap_block(Interner& interner, std::string_view data, SnapBlock& out, std::size_t expected_edges) {
  static_assert(std::endian::native == std::endian::little, "the SWAR helpers assume little-endian words");
  out.sources.reserve(expected_edges);
  out.targets.reserve(expected_edges);
  const char* base = data.data();
  const std::size_t size = data.size();
  constexpr std::size_t kFastWindow = 40;  // bytes fast_snap_line may read from a line start
  std::size_t start = 0;                   // of the current line
  auto line = [&](std::size_t end) {       // [start, end): one line without its '\n'
    ++out.lines;
    const bool fast = start + kFastWindow <= size && fast_snap_line(base + start, end - start, interner, out);
    if (!fast) {
      std::string_view text(base + start, end - start);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      if (!scan_snap_line(interner, text, out)) {
        out.error_line = out.lines;
        return false;
      }
    }
    start = end + 1;
    return true;
  };
  for (std::size_t chunk = 0; chunk + 64 <= size; chunk += 64) {
    for (std::uint64_t m = newline_mask(base + chunk); m != 0; m &= m - 1)
      if (!line(chunk + static_cast<std::size_t>(std::countr_zero(m)))) return;
  }
  for (std::size_t k = size / 64 * 64; k < size; ++k)
    if (base[k] == '\n' && !line(k)) return;
  if (start < size) (void)line(size);  // a last line without '\n'
}

/// Cuts `data` into up to `blocks` pieces of whole lines (each at least snap_block_bytes).
std::vector<std::string_view> split_lines(std::string_view data, unsigned blocks) {
  const std::size_t count =
      std::max<std::size_t>(1, std::min<std::size_t>(blocks, data.size() / std::max<std::size_t>(snap_block_bytes, 1)));
  std::vector<std::string_view> out;
  std::size_t begin = 0;
  for (std::size_t k = 1; k <= count && begin < data.size(); ++k) {
    std::size_t end = k == count ? data.size() : std::max(begin, data.size() * k / count);
    if (end < data.size()) {
      const std::size_t nl = data.find('\n', end);
      end = nl == std::string_view::npos ? data.size() : nl + 1;
    }
    out.push_back(data.substr(begin, end - begin));
    begin = end;
  }
  return out;
}

/// SNAP text: the file is cut into blocks of whole lines read in parallel, each interning its
/// ids on its own (the first block straight into the result); the later blocks' names are then
/// interned in block order, which gives every id its first-seen index over the whole file, and
/// the edges are renumbered in parallel.
EdgeList read_snap(const std::string& path, std::string_view data, unsigned threads) {
  EdgeList out;
  out.names.reserve(data.size() / 32);  // a guess (Epinions: 75,879 ids in 5 MB); saves regrowth copies
  Interner global(out.names, data.size());
  const std::vector<std::string_view> pieces = split_lines(data, thread_count(threads));
  const std::size_t nb = pieces.size();
  if (nb == 0) return out;  // an empty file: no lines, no edges
  std::vector<SnapBlock> blocks(nb);
  const auto workers = static_cast<unsigned>(nb);
  parallel_for(
      nb, workers,
      [&](std::size_t lo, std::size_t hi) {
        for (std::size_t k = lo; k < hi; ++k) {
          // About 8 bytes or more per line; the first block's arrays become the result's, so they
          // get room for the whole file's edges.
          if (k == 0) {
            scan_snap_block(global, pieces[k], blocks[k], data.size() / 8);
          } else {
            // Sized by the block (the direct table's reach is each interner's own choice: the
            // merge below interns the names again), so many blocks cost no more than one table.
            Interner local(blocks[k].names, pieces[k].size());
            scan_snap_block(local, pieces[k], blocks[k], pieces[k].size() / 8);
          }
        }
      },
      1);

  std::size_t lines_before = 0, edges = 0;
  std::vector<std::size_t> first_edge(nb);
  for (std::size_t k = 0; k < nb; ++k) {
    if (blocks[k].error_line != 0) fail_at(path, lines_before + blocks[k].error_line, blocks[k].error);
    lines_before += blocks[k].lines;
    first_edge[k] = edges;
    edges += blocks[k].sources.size();
  }
  std::vector<std::vector<std::uint32_t>> to_global(nb);
  for (std::size_t k = 1; k < nb; ++k) {
    to_global[k].reserve(blocks[k].names.size());
    for (const std::string& name : blocks[k].names) to_global[k].push_back(global.intern(name));
  }
  out.sources = std::move(blocks[0].sources);
  out.targets = std::move(blocks[0].targets);
  if (nb == 1) return out;
  out.sources.resize(edges);
  out.targets.resize(edges);
  parallel_for(
      nb - 1, workers,
      [&](std::size_t lo, std::size_t hi) {
        for (std::size_t k = lo + 1; k < hi + 1; ++k) {
          const SnapBlock& b = blocks[k];
          std::uint32_t* src = out.sources.data() + first_edge[k];
          std::uint32_t* dst = out.targets.data() + first_edge[k];
          const std::uint32_t* map = to_global[k].data();
          for (std::size_t e = 0; e < b.sources.size(); ++e) {
            src[e] = map[b.sources[e]];
            dst[e] = map[b.targets[e]];
          }
        }
      },
      1);
  return out;
}

}  // namespace
}  // namespace rapport::detail

namespace rapport {

EdgeList read_edge_list(const std::string& path, const LoadOptions& options) {
  const detail::Sniff where = detail::sniff(path);
  if (where.csv) return detail::read_referral_csv(path, where, options);
  const detail::FileBytes bytes = detail::FileReader(path).read_to_end();
  std::string_view data = bytes.view();
  if (data.starts_with("\xEF\xBB\xBF")) data.remove_prefix(3);  // UTF-8 BOM
  return detail::read_snap(path, data, options.threads);
}

}  // namespace rapport
