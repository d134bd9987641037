#include <rapport/io/generate.hpp>
#include <rapport/scoring/score.hpp>

#include <rapport/error.hpp>
#include <rapport/io/writers.hpp>

#include "base/rows.hpp"
#include "io/output_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace rapport {

namespace {

constexpr Channel business_channels[] = {Channel::visit,  Channel::phone,        Channel::email, Channel::mail,
                                         Channel::online, Channel::service_call, Channel::event};

// Drives a sink with rows; the same sequence of random draws for any sink.
template <class Sink>
GenerateCounts generate(const GenerateOptions& o, Sink& sink) {
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const auto uniform = [&] { return U(rng); };
  const auto gamma = [&](double shape, double scale) { return std::gamma_distribution<double>(shape, scale)(rng); };
  const auto beta = [&](double a, double b) {
    const double x = gamma(a, 1.0), y = gamma(b, 1.0);
    return x / (x + y);
  };
  const auto exponential = [&](double mean) { return -mean * std::log1p(-uniform()); };
  const seconds_t end_s = midnight(o.end_day + 1);
  const double span_days = o.years * 365.25;
  static const char* segments[] = {"retail", "business", "premium"};
  GenerateCounts counts;
  const std::size_t n = o.customers;
  char id[48];
  const auto cid = [&](std::size_t i) {
    std::snprintf(id, sizeof id, "C%08zu", i + 1);
    return std::string(id);
  };
  std::vector<day_t> acquired(n);
  std::vector<double> quality(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double pos = (static_cast<double>(i) + uniform()) / static_cast<double>(std::max<std::size_t>(n, 1));
    acquired[i] = o.end_day - static_cast<day_t>(std::floor(span_days * (1.0 - pos)));
    quality[i] = beta(3.0, 1.3);
    const double u = uniform();
    sink.customer(cid(i), acquired[i], u < 0.6 ? segments[0] : (u < 0.9 ? segments[1] : segments[2]));
    ++counts.customers;
  }
  const auto instant = [&](double day) { return static_cast<seconds_t>(std::floor(day * 86400.0)); };
  const auto impression_for = [&](double q) {
    const double u = uniform();
    if (u < 0.45) return 0;
    if (u < 0.45 + 0.06 * (1.0 - q)) return -2;
    if (u < 0.45 + 0.20 * (1.0 - q)) return -1;
    if (u < 0.95 - 0.05 * q) return 1;
    return 2;
  };
  ContactRow row;
  const auto contact = [&](std::size_t i, double day, Stage stage, Initiator who, double q) {
    row.at = instant(day);
    if (row.at >= end_s) return;
    row.stage = stage;
    row.initiator = who;
    row.channel = who == Initiator::business ? business_channels[static_cast<std::size_t>(uniform() * 7.0) % 7]
                                             : (uniform() < 0.5 ? Channel::phone : Channel::online);
    const double ua = uniform();
    row.aspect = ua < 0.6 ? Aspect::technical : (ua < 0.93 ? Aspect::hospitality : Aspect::wow);
    row.impression = impression_for(q);
    row.complaint = row.impression < 0 && uniform() < 0.35;
    row.resolved_at = no_time;
    if (row.complaint && uniform() < 0.85) {
      const seconds_t res = row.at + static_cast<seconds_t>(exponential(2.0 + 10.0 * (1.0 - q)) * 86400.0);
      if (res < end_s) row.resolved_at = res;
    }
    sink.contact(cid(i), row);
    ++counts.contacts;
  };
  // BG/NBD population parameters (days)
  const double r = 0.75, alpha = 60.0, a = 0.9, b = 4.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double q = quality[i];
    const double start = static_cast<double>(acquired[i]);
    const double end = static_cast<double>(o.end_day) + 1.0;
    // Critical Wheel before the first sale
    contact(i, start - 20.0 * uniform() - 1.0, Stage::welcome, Initiator::business, q);
    if (uniform() < 0.7) contact(i, start - 10.0 * uniform(), Stage::discovery, Initiator::business, q);
    if (uniform() < 0.5) contact(i, start - 5.0 * uniform(), Stage::presentation, Initiator::customer, q);
    // purchases: Poisson with rate lambda until dropout with probability p after each purchase
    const double lambda = gamma(r, 1.0 / alpha);
    const double p = beta(a, b);
    const double spend_scale = gamma(6.0, 15.0 / 6.0);
    double t = start + uniform() * 0.99;
    while (t < end) {
      const seconds_t at = instant(t);
      sink.purchase(cid(i), at, std::round(gamma(4.0, spend_scale) * 100.0) / 100.0);
      ++counts.purchases;
      contact(i, t - 0.01, Stage::closing, Initiator::business, q);
      if (uniform() < q) contact(i, t + 1.0 + 12.0 * uniform() * (1.5 - q), Stage::service, Initiator::business, q);
      if (uniform() < p) break;
      t += exponential(1.0 / std::max(lambda, 1e-6));
    }
    // ongoing relationship: business reach-outs, customer-initiated contacts
    const double reach_rate = o.contact_rate_per_year * q * q / 365.25;
    for (double c = start + exponential(1.0 / std::max(reach_rate, 1e-6)); c < end;
         c += exponential(1.0 / std::max(reach_rate, 1e-6))) {
      const double us = uniform();
      const Stage st = us < 0.4 ? Stage::service
                                : (us < 0.65 ? Stage::welcome : (us < 0.85 ? Stage::discovery : Stage::presentation));
      contact(i, c, st, Initiator::business, q);
    }
    const double own_rate = 1.5 / 365.25;
    for (double c = start + exponential(1.0 / own_rate); c < end; c += exponential(1.0 / own_rate))
      contact(i, c, Stage::service, Initiator::customer, q);
  }
  // referrals: a share of customers was referred by an earlier one (happier customers refer more)
  char pid[48];
  for (std::size_t i = 1; i < n; ++i) {
    if (uniform() >= o.referral_share) continue;
    std::size_t j = static_cast<std::size_t>(uniform() * static_cast<double>(i));
    if (quality[j] < 0.5 && uniform() < 0.7) j = static_cast<std::size_t>(uniform() * static_cast<double>(i));
    const double day = static_cast<double>(acquired[i]) - 30.0 * uniform();
    sink.referral(cid(j), cid(i), instant(day));
    ++counts.referrals;
    if (uniform() < 0.03) {  // the same introduction recorded twice, a week later
      sink.referral(cid(j), cid(i), instant(day + 7.0));
      ++counts.referrals;
    }
  }
  const auto prospects = static_cast<std::size_t>(o.prospect_referrals * static_cast<double>(n));
  for (std::size_t k = 0; k < prospects; ++k) {
    const std::size_t j = static_cast<std::size_t>(uniform() * static_cast<double>(n));
    std::snprintf(pid, sizeof pid, "P%08zu", k + 1);
    const double day = static_cast<double>(acquired[j]) + uniform() * static_cast<double>(o.end_day - acquired[j]);
    sink.referral(cid(j), pid, instant(day));
    ++counts.referrals;
  }
  // a few outside introducers (partners) who are not customers themselves
  for (std::size_t k = 0; k < n / 200; ++k) {
    const std::size_t i = static_cast<std::size_t>(uniform() * static_cast<double>(n));
    std::snprintf(pid, sizeof pid, "X%05zu", k % 50 + 1);
    sink.referral(pid, cid(i), midnight(acquired[i]) - 86400);
    ++counts.referrals;
  }
  return counts;
}

// Streams rows into the four files, each renamed into place only when all are complete.
class CsvSink {
public:
  explicit CsvSink(const std::filesystem::path& dir)
      : files_{detail::OutputFile((dir / "customers.csv").string()),
               detail::OutputFile((dir / "contacts.csv").string()),
               detail::OutputFile((dir / "purchases.csv").string()),
               detail::OutputFile((dir / "referrals.csv").string())} {
    files_[0].write("customer_id,acquired_on,segment\n");
    files_[1].write("customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at\n");
    files_[2].write("customer_id,at,amount\n");
    files_[3].write("referrer_id,referred_id,at\n");
  }
  void customer(const std::string& id, day_t d, const char* seg) {
    auto& b = files_[0].buffer();
    b += id;
    b += ',';
    b += format_date(d);
    b += ',';
    b += seg;
    b += '\n';
    files_[0].maybe_flush();
  }
  void contact(const std::string& id, const ContactRow& r) {
    auto& b = files_[1].buffer();
    b += id;
    b += ',';
    b += format_timestamp(r.at);
    b += ',';
    b += to_string(r.channel);
    b += ',';
    b += to_string(r.stage);
    b += ',';
    b += to_string(r.initiator);
    b += ',';
    b += to_string(r.aspect);
    b += ',';
    b += std::to_string(r.impression);
    b += r.complaint ? ",true," : ",false,";
    if (r.resolved_at != no_time) b += format_timestamp(r.resolved_at);
    b += '\n';
    files_[1].maybe_flush();
  }
  void purchase(const std::string& id, seconds_t at, double amount) {
    char num[32];
    std::snprintf(num, sizeof num, "%.2f", amount);
    auto& b = files_[2].buffer();
    b += id;
    b += ',';
    b += format_timestamp(at);
    b += ',';
    b += num;
    b += '\n';
    files_[2].maybe_flush();
  }
  void referral(const std::string& from, const std::string& to, seconds_t at) {
    auto& b = files_[3].buffer();
    b += from;
    b += ',';
    b += to;
    b += ',';
    b += format_timestamp(at);
    b += '\n';
    files_[3].maybe_flush();
  }
  void commit() {
    for (auto& f : files_) f.commit();
  }

private:
  detail::OutputFile files_[4];
};

struct BuilderSink {
  CustomerBaseBuilder builder;
  void customer(const std::string& id, day_t d, const char* seg) { builder.add_customer(id, d, seg); }
  void contact(const std::string& id, const ContactRow& r) { builder.add_contact(id, r); }
  void purchase(const std::string& id, seconds_t at, double amount) { builder.add_purchase(id, at, amount); }
  void referral(const std::string& from, const std::string& to, seconds_t at) { builder.add_referral(from, to, at); }
};

}  // namespace

void validate(const GenerateOptions& o) {
  const auto bad = [](const char* option, const char* domain, double got) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", got);
    throw ConfigError(std::string("generate: ") + option + " must be " + domain + " (got " + buf + ")");
  };
  if (o.customers < 1 || o.customers > 1000000000)
    bad("customers", "a whole number in [1, 1000000000]", static_cast<double>(o.customers));
  if (!detail::day_in_range(o.end_day)) throw ConfigError("generate: end must be a date within years 0000-9999");
  if (!(std::isfinite(o.years) && o.years > 0 && o.years <= 1000))
    bad("years", "a finite number in (0, 1000]", o.years);
  if (static_cast<double>(o.end_day) - std::ceil(o.years * 365.25) < static_cast<double>(detail::min_day))
    throw ConfigError("generate: end - years must not begin before 0000-01-01 (end " + format_date(o.end_day) +
                      ", years " + std::to_string(o.years) + ")");
  if (!(std::isfinite(o.contact_rate_per_year) && o.contact_rate_per_year > 0 && o.contact_rate_per_year <= 1000))
    bad("contact_rate_per_year", "a finite number in (0, 1000]", o.contact_rate_per_year);
  if (!(o.referral_share >= 0 && o.referral_share <= 1)) bad("referral_share", "a number in [0, 1]", o.referral_share);
  if (!(o.prospect_referrals >= 0 && o.prospect_referrals <= 100))
    bad("prospect_referrals", "a finite number in [0, 100]", o.prospect_referrals);
}

namespace {

namespace fs = std::filesystem;

constexpr const char* base_files[] = {"customers.csv", "contacts.csv", "purchases.csv", "referrals.csv"};

/// What generate_csv may replace at `dir`: nothing, an empty folder or one holding only the four
/// files (regular files, not links). Returns the folder's permission bits when it exists.
std::optional<mode_t> check_generate_target(const fs::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return std::nullopt;
  if (!S_ISDIR(st.st_mode))
    throw OutputError(dir.string() + ": exists and is not a folder (a base is written as a folder)");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    const bool ours = std::find(std::begin(base_files), std::end(base_files), name) != std::end(base_files);
    if (!ours || !entry.is_regular_file() || entry.is_symlink())
      throw OutputError(dir.string() + ": holds " + name + (ours ? ", which is not a regular file" : "") +
                        "; generate replaces a folder as a whole and only when it holds nothing but customers.csv, "
                        "contacts.csv, purchases.csv and referrals.csv");
  }
  if (ec) throw OutputError(dir.string() + ": cannot list the folder: " + ec.message());
  return st.st_mode & 07777;
}

/// A new folder beside `dir` (`.NAME.XXXXXX.tmp`), listed for removal on a signal; removed with
/// what it holds unless released.
class TemporaryFolder {
public:
  explicit TemporaryFolder(const fs::path& dir) {
    std::string leaf(".");  // (appended, not `"." + s`: GCC 12's -Wrestrict misfires on that)
    leaf += dir.filename().string();
    leaf += ".XXXXXX";
    std::string name = (dir.parent_path() / leaf).string();
    if (!::mkdtemp(name.data()))
      throw OutputError(dir.string() + ": cannot create a temporary folder beside it: " + std::strerror(errno));
    path_ = name;
    slot_ = detail::register_temporary(path_);
  }
  ~TemporaryFolder() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
    detail::unregister_temporary(slot_);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::string& path() const noexcept { return path_; }
  /// The folder was renamed into place: nothing to remove.
  void release() noexcept {
    detail::unregister_temporary(slot_);
    slot_ = -1;
    path_.clear();
  }

private:
  std::string path_;
  int slot_ = -1;
};

/// Puts the finished folder `from` in place at `dir`: a rename when `dir` is missing, else an
/// exchange of the two (renameat2 RENAME_EXCHANGE; on a file system without it, `dir` moves
/// aside first) and the old folder is removed.
void put_folder_in_place(TemporaryFolder& from, const fs::path& dir, bool exists) {
  const std::string target = dir.string();
  if (!exists) {
    if (::rename(from.path().c_str(), target.c_str()) != 0)
      throw OutputError(target + ": cannot rename the new base into place: " + std::strerror(errno));
    from.release();
    return;
  }
  if (::renameat2(AT_FDCWD, from.path().c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    std::error_code ec;
    fs::remove_all(from.path(), ec);  // the old base, now under the temporary name
    from.release();
    return;
  }
  if (errno != EINVAL && errno != ENOSYS)
    throw OutputError(target + ": cannot exchange the new base with the old: " + std::strerror(errno));
  TemporaryFolder aside(dir);  // an empty name beside it, for the old folder
  if (::rename(target.c_str(), aside.path().c_str()) != 0)
    throw OutputError(target + ": cannot move the old base aside: " + std::strerror(errno));
  if (::rename(from.path().c_str(), target.c_str()) != 0) {
    const int err = errno;
    (void)::rename(aside.path().c_str(), target.c_str());  // the old base back
    throw OutputError(target + ": cannot rename the new base into place: " + std::strerror(err));
  }
  from.release();
}

}  // namespace

GenerateCounts generate_csv(const std::string& dir, const GenerateOptions& options) {
  validate(options);
  if (dir.empty()) throw OutputError("generate: no folder given");
  fs::path target = fs::absolute(dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();  // "out/" names "out"
  std::error_code ec;
  if (fs::is_symlink(target, ec)) {  // a link to a folder: that folder
    target = fs::canonical(target, ec);
    if (ec) throw OutputError(dir + ": cannot resolve the link: " + ec.message());
  }
  const auto mode = check_generate_target(target);
  fs::create_directories(target.parent_path(), ec);
  if (ec) throw OutputError(dir + ": cannot create the folder " + target.parent_path().string() + ": " + ec.message());
  TemporaryFolder tmp(target);
  const mode_t keep = mode ? *mode : [] {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    return static_cast<mode_t>(0777 & ~mask);
  }();
  if (::chmod(tmp.path().c_str(), keep) != 0)
    throw OutputError(dir + ": cannot set the folder's permissions: " + std::strerror(errno));
  GenerateCounts counts;
  {
    OutputBatch batch;  // the four files stay temporary (removed on a signal) until all are written
    CsvSink sink{fs::path(tmp.path())};
    counts = generate(options, sink);
    sink.commit();
    batch.commit();
  }
  put_folder_in_place(tmp, target, mode.has_value());
  return counts;
}

CustomerBase generate_base(const GenerateOptions& options) {
  validate(options);
  BuilderSink sink;
  generate(options, sink);
  return sink.builder.finish();
}

}  // namespace rapport
