// A small stand-in for libFuzzer's driver, for compilers without it (g++): runs the fuzz entry
// point LLVMFuzzerTestOneInput over every seed file, then over a fixed number of deterministic
// mutations of the seeds (bit flips, CSV-significant bytes and tokens, deletions, duplicated
// ranges, splices of two seeds, truncations). The same arguments give the same inputs, so a
// failure reproduces: `--dump FILE` writes each input to FILE before running it (after a crash
// FILE holds the crashing input), `--only N` runs input N alone.
//
//   fuzz_ingest_replay [--runs N] [--seed S] [--max-seconds X] [--only N --dump FILE] SEED...
//
// A SEED is a file or a directory of files; a file named customers/contacts/purchases/
// referrals.csv is fed as that table (the entry point's first byte selects the table).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

/// xorshift64*: small, fast and the same everywhere.
class Rng {
public:
  explicit Rng(std::uint64_t seed) : s_(seed ? seed : 0x9E3779B97F4A7C15ull) {}
  std::uint64_t next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1Dull;
  }
  /// Uniform in [0, n) (n > 0).
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

private:
  std::uint64_t s_;
};

const std::vector<std::string>& tokens() {
  static const std::vector<std::string> t = {",",
                                             "\"",
                                             "\"\"",
                                             "\n",
                                             "\r\n",
                                             "\r",
                                             " ",
                                             "\xEF\xBB\xBF",
                                             std::string(1, '\0'),
                                             "\xFF",
                                             "2024-02-29",
                                             "2023-02-29",
                                             "2024-13-01",
                                             "0000-01-01",
                                             "9999-12-31T23:59:59Z",
                                             "2024-01-01 12:00:00",
                                             "2024-01-01T24:00:00",
                                             "-2",
                                             "3",
                                             "-0",
                                             "+1",
                                             "007",
                                             "1e308",
                                             "0.0",
                                             "100000000000000000000000.5",
                                             "true",
                                             "false",
                                             "1",
                                             "0",
                                             "TRUE",
                                             "service",
                                             "business",
                                             "customer",
                                             "technical",
                                             "hospitality",
                                             "wow",
                                             "visit",
                                             "customer_id",
                                             "acquired_on",
                                             "referrer_id",
                                             "referred_id",
                                             "at",
                                             "amount",
                                             "resolved_at",
                                             "A",
                                             "B",
                                             "C,1"};
  return t;
}

std::string mutate(const std::vector<std::string>& seeds, Rng& rng) {
  std::string s = seeds[rng.below(seeds.size())];
  const std::size_t ops = 1 + rng.below(4);
  for (std::size_t k = 0; k < ops; ++k) {
    const std::size_t n = s.size();
    const std::size_t at = 1 + rng.below(n);  // never before the table selector byte
    switch (rng.below(7)) {
      case 0:  // flip one bit
        if (at < n) s[at] = static_cast<char>(s[at] ^ static_cast<char>(1u << rng.below(8)));
        break;
      case 1:  // overwrite one byte with a CSV-significant one
        if (at < n) s[at] = ",\"\n\r-:T Z0129"[rng.below(13)];
        break;
      case 2:  // insert a token
        s.insert(at, tokens()[rng.below(tokens().size())]);
        break;
      case 3:  // delete a range
        if (at < n) s.erase(at, 1 + rng.below(std::min<std::size_t>(16, n - at)));
        break;
      case 4:  // duplicate a range (often a whole line)
        if (at < n) {
          const std::string piece = s.substr(at, 1 + rng.below(std::min<std::size_t>(64, n - at)));
          s.insert(rng.below(n - 1) + 1, piece);
        }
        break;
      case 5: {  // splice: this seed's head, another seed's tail
        const std::string& other = seeds[rng.below(seeds.size())];
        if (other.size() > 1) {
          s.resize(std::min(at, n));
          s.append(other, 1 + rng.below(other.size() - 1));
        }
        break;
      }
      default:  // truncate
        s.resize(at);
        break;
    }
  }
  if (rng.below(16) == 0) s[0] = static_cast<char>(rng.below(256));  // sometimes another table
  return s;
}

char table_byte(const std::filesystem::path& p) {
  const std::string name = p.filename().string();
  if (name.rfind("contacts", 0) == 0) return 1;
  if (name.rfind("purchases", 0) == 0) return 2;
  if (name.rfind("referrals", 0) == 0) return 3;
  return 0;
}

void add_seed(const std::filesystem::path& p, std::vector<std::string>& seeds) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  std::string input(1, table_byte(p));
  input.append(text.str());
  seeds.push_back(std::move(input));
}

int run(const std::string& input) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t runs = 2000;
  std::uint64_t seed = 1;
  double max_seconds = 0;
  long only = -1;
  std::string dump;
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--runs" && has_value) {
      runs = std::stoul(argv[++i]);
    } else if (a == "--seed" && has_value) {
      seed = std::stoull(argv[++i]);
    } else if (a == "--max-seconds" && has_value) {
      max_seconds = std::stod(argv[++i]);
    } else if (a == "--only" && has_value) {
      only = std::stol(argv[++i]);
    } else if (a == "--dump" && has_value) {
      dump = argv[++i];
    } else if (std::filesystem::is_directory(a)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::directory_iterator(a))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) add_seed(f, seeds);
    } else if (std::filesystem::is_regular_file(a)) {
      add_seed(a, seeds);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--runs N] [--seed S] [--max-seconds X] [--only N --dump FILE] SEED...\n"
                   "  (no such seed file or directory: %s)\n",
                   argv[0], a.c_str());
      return 2;
    }
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "%s: no seed inputs\n", argv[0]);
    return 2;
  }
  // every seed as it is and as each of the four tables
  std::vector<std::string> inputs = seeds;
  for (const auto& s : seeds)
    for (char t = 0; t < 4; ++t) {
      std::string input(1, t);
      input.append(s, 1);
      inputs.push_back(std::move(input));
    }
  Rng rng(seed);
  const auto start = std::chrono::steady_clock::now();
  std::size_t done = 0;
  bool cut = false;
  for (std::size_t k = 0; k < inputs.size() + runs; ++k) {
    const std::string input = k < inputs.size() ? inputs[k] : mutate(seeds, rng);
    if (only >= 0 && static_cast<std::size_t>(only) != k) continue;
    if (!dump.empty()) std::ofstream(dump, std::ios::binary) << input;
    run(input);
    ++done;
    if (max_seconds > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > max_seconds) {
      cut = true;
      break;
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("fuzz_ingest_replay: %zu inputs (%zu seeds, seed %llu) in %.1f s%s\n", done, seeds.size(),
              static_cast<unsigned long long>(seed), secs, cut ? ", stopped at --max-seconds" : "");
  return 0;
}
