#include "io/csv_reader.hpp"

#include <cstring>
#include <utility>

namespace rapport::detail {

namespace {
constexpr std::size_t initial_buffer = std::size_t{1} << 22;  // 4 MiB
}  // namespace

CsvReader::CsvReader(const std::string& path) : CsvReader(path, 0, 1, true) {}

CsvReader::CsvReader(const std::string& path, std::size_t offset, std::size_t line, bool at_file_start)
    : file_(std::make_unique<FileReader>(path, offset)), name_(path) {
  buf_.resize(initial_buffer);
  line_ = line;
  consumed_ = offset;
  first_ = at_file_start && offset == 0;
}

CsvReader::CsvReader(std::string_view data, std::string name) : name_(std::move(name)) {
  buf_.assign(data.begin(), data.end());
  end_ = buf_.size();
  eof_ = true;
}

CsvReader::~CsvReader() = default;

bool CsvReader::fill() {
  if (eof_) return false;
  const std::size_t got = file_->refill(buf_, std::exchange(pos_, 0), end_);
  if (got == 0) eof_ = true;
  return got != 0;
}

bool CsvReader::next(CsvRecord& rec) {
  for (;;) {
    if (first_) {
      while (end_ < 3 && !eof_) fill();
      if (end_ - pos_ >= 3 && std::memcmp(buf_.data() + pos_, "\xEF\xBB\xBF", 3) == 0) {
        pos_ += 3;
        consumed_ += 3;
      }
      first_ = false;
    }
    if (pos_ == end_ && !fill() && pos_ == end_) return false;
    // blank line
    const char c = buf_[pos_];
    if (c == '\n') {
      ++pos_;
      ++line_;
      ++consumed_;
      continue;
    }
    if (c == '\r') {
      if (pos_ + 1 == end_ && !eof_) {
        fill();
        continue;
      }
      if (pos_ + 1 < end_ && buf_[pos_ + 1] == '\n') {
        pos_ += 2;
        ++line_;
        consumed_ += 2;
        continue;
      }
    }
    if (parse(rec, eof_)) return true;
    if (!fill()) {
      if (!parse(rec, true)) return false;  // cannot happen: at EOF parse always completes
      return true;
    }
  }
}

bool CsvReader::parse(CsvRecord& rec, bool at_eof) {
  const char* base = buf_.data();
  const char* p = base + pos_;
  const char* end = base + end_;
  rec.error = nullptr;
  rec.error_column = 0;
  rec.fields.clear();
  const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
  if (!nl && !at_eof) return false;
  const char* limit = nl ? nl : end;
  if (!std::memchr(p, '"', static_cast<std::size_t>(limit - p))) {
    // fast path: no quotes in this line
    const char* rec_end = limit;
    if (rec_end > p && rec_end[-1] == '\r') --rec_end;
    split_plain_record(std::string_view(p, static_cast<std::size_t>(rec_end - p)), rec.fields);
    rec.line = line_;
    rec.raw = std::string_view(p, static_cast<std::size_t>(rec_end - p));
    const std::size_t used = static_cast<std::size_t>((nl ? nl + 1 : end) - p);
    pos_ += used;
    consumed_ += used;
    ++line_;
    return true;
  }
  // slow path: a state machine over quoted fields (may span lines)
  if (scratch_.capacity() < static_cast<std::size_t>(end - p)) scratch_.reserve(static_cast<std::size_t>(end - p) * 2);
  scratch_.clear();
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  spans.reserve(16);
  std::size_t newlines = 0;
  std::size_t field_start = 0;
  bool at_start = true, quoted = false;
  const char* q = p;
  const char* rec_end = nullptr;
  const char* next = nullptr;
  auto finish_field = [&] {
    spans.emplace_back(field_start, scratch_.size() - field_start);
    field_start = scratch_.size();
    at_start = true;
  };
  for (;;) {
    if (q == end) {
      if (!at_eof) return false;
      if (quoted && !rec.error) {
        rec.error = "unterminated quoted field";
        rec.error_column = spans.size() + 1;
      }
      finish_field();
      rec_end = next = end;
      break;
    }
    const char ch = *q;
    if (quoted) {
      if (ch == '"') {
        if (q + 1 == end && !at_eof) return false;
        if (q + 1 < end && q[1] == '"') {
          scratch_.push_back('"');
          q += 2;
        } else {
          quoted = false;
          ++q;
        }
        continue;
      }
      if (ch == '\n') ++newlines;
      scratch_.push_back(ch);
      ++q;
      continue;
    }
    if (ch == '"' && at_start) {
      quoted = true;
      at_start = false;
      ++q;
      continue;
    }
    if (ch == ',') {
      finish_field();
      ++q;
      continue;
    }
    if (ch == '\n') {
      finish_field();
      rec_end = q;
      next = q + 1;
      break;
    }
    if (ch == '\r') {
      if (q + 1 == end && !at_eof) return false;
      if (q + 1 < end && q[1] == '\n') {
        finish_field();
        rec_end = q;
        next = q + 2;
        break;
      }
    }
    at_start = false;
    scratch_.push_back(ch);
    ++q;
  }
  for (const auto& [off, len] : spans) rec.fields.emplace_back(scratch_.data() + off, len);
  rec.line = line_;
  rec.raw = std::string_view(p, static_cast<std::size_t>(rec_end - p));
  const std::size_t used = static_cast<std::size_t>(next - p);
  pos_ += used;
  consumed_ += used;
  line_ += newlines + 1;
  return true;
}

}  // namespace rapport::detail
