// ScoringConfig from and to JSON, and its validation: all three walk visit_fields().
#include <rapport/scoring/config.hpp>

#include <rapport/error.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace rapport {

using nlohmann::json;

namespace {

// "1e-06", "-1", "100000", "inf": a number as the messages show it (integers in full).
std::string shown(double x) {
  if (std::isfinite(x) && x == std::trunc(x) && std::fabs(x) < 1e15) return std::to_string(static_cast<long long>(x));
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw ConfigError("config: " + path + " " + why);
}

template <class S>
constexpr bool is_record = std::is_same_v<S, BgNbdParams> || std::is_same_v<S, GammaGammaParams> ||
                           std::is_same_v<S, FitOptions> || std::is_same_v<S, ScorerOptions>;

// A string-valued setting: an enum with SettingSpellings.
template <class T>
constexpr bool is_spelled = std::is_enum_v<T>;

// "one of bgnbd, pareto_nbd, …": the spellings of a string-valued setting, for messages.
template <class E>
std::string spellings_text() {
  std::string out = "one of";
  for (const auto name : SettingSpellings<E>::names) out += (out.size() > 6 ? ", " : " ") + std::string(name);
  return out;
}

template <class E, class T>
const auto& value_names(const ComponentArray<E, T>&) {
  return component_names<E>();
}

template <class T>
struct is_component_array : std::false_type {};
template <class E, class T>
struct is_component_array<ComponentArray<E, T>> : std::true_type {};

// ---------------------------------------------------------------- validation

void check_number(const std::string& path, double x, const Domain& domain) {
  if (!domain.contains(x)) fail(path, "must be " + std::string(domain.text) + " (got " + shown(x) + ")");
}

template <class S>
void check_record(const std::string& prefix, const S& record);

template <class T>
void check_value(const std::string& path, const T& value, const Domain& domain) {
  if constexpr (std::is_same_v<T, IntervalMethod>) {
    if (!parse_interval_method(to_string(value))) fail(path, "must be parametric or bootstrap");
  } else if constexpr (std::is_arithmetic_v<T>) {
    check_number(path, static_cast<double>(value), domain);
  } else if constexpr (is_spelled<T>) {
    if (static_cast<std::size_t>(value) >= SettingSpellings<T>::names.size())
      fail(path, "must be " + spellings_text<T>() + " (got " + std::to_string(static_cast<int>(value)) + ")");
  } else if constexpr (is_component_array<T>::value) {
    double sum = 0, always = 0;
    std::string always_names;
    std::size_t k = 0;
    for (double w : value) {
      const auto c = static_cast<typename T::key_type>(k);
      check_number(path + "." + std::string(value_names(value)[k++]), w, domain);
      sum += w;
      if (always_evidenced(c)) {
        always += w;
        always_names += (always_names.empty() ? "" : ", ") + std::string(to_string(c));
      }
    }
    if (!(sum > 0) || !std::isfinite(sum)) fail(path, "must have a positive, finite sum (got " + shown(sum) + ")");
    // a customer may lack evidence for every other component: the mean must stay defined
    if (!(always > 0))
      fail(path, "must give a positive weight to a component every customer has evidence for (" + always_names + ")");
  } else if constexpr (is_record<T>) {
    check_record(path + ".", value);
  } else {  // std::optional<record>
    if (value) check_record(path + ".", *value);
  }
}

template <class S>
void check_record(const std::string& prefix, const S& record) {
  visit_fields<S>([&](const auto& f) { check_value(prefix + std::string(f.name), record.*f.member, f.domain); });
}

// ---------------------------------------------------------------- JSON in

double read_number(const std::string& path, const json& v) {
  if (!v.is_number()) fail(path, "expects a number (got " + std::string(v.type_name()) + ")");
  return v.get<double>();
}

template <class T>
T read_integer(const std::string& path, const json& v, const Domain& domain) {
  if (v.is_number_float()) fail(path, "must be " + std::string(domain.text) + " (got " + shown(v.get<double>()) + ")");
  if (!v.is_number_integer()) fail(path, "expects an integer (got " + std::string(v.type_name()) + ")");
  const double x =
      v.is_number_unsigned() ? static_cast<double>(v.get<std::uint64_t>()) : static_cast<double>(v.get<std::int64_t>());
  check_number(path, x, domain);
  return static_cast<T>(x);
}

template <class S>
void read_record(const std::string& prefix, const json& v, S& record, bool require_all);

template <class T>
void read_value(const std::string& path, const json& v, T& out, const Domain& domain) {
  if constexpr (std::is_same_v<T, IntervalMethod>) {
    const auto m = v.is_string() ? parse_interval_method(v.get<std::string>()) : std::nullopt;
    if (!m) fail(path, "must be \"parametric\" or \"bootstrap\" (got " + v.dump() + ")");
    out = *m;
  } else if constexpr (std::is_floating_point_v<T>) {
    out = read_number(path, v);
  } else if constexpr (std::is_integral_v<T>) {
    out = read_integer<T>(path, v, domain);
  } else if constexpr (is_spelled<T>) {
    if (!v.is_string())
      fail(path, "expects a string, " + spellings_text<T>() + " (got " + std::string(v.type_name()) + ")");
    const auto& names = SettingSpellings<T>::names;
    const auto text = v.get<std::string>();
    const auto it = std::find(names.begin(), names.end(), text);
    if (it == names.end()) fail(path, "must be " + spellings_text<T>() + " (got '" + text + "')");
    out = static_cast<T>(it - names.begin());
  } else if constexpr (is_component_array<T>::value) {
    const auto& names = value_names(out);
    if (v.is_array()) {
      if (v.size() != component_count) fail(path, "expects 5 weights (got " + std::to_string(v.size()) + ")");
      for (std::size_t k = 0; k < component_count; ++k)
        out.values[k] = read_number(path + "." + std::string(names[k]), v[k]);
    } else if (v.is_object()) {
      for (auto item = v.begin(); item != v.end(); ++item) {
        const auto it = std::find(names.begin(), names.end(), item.key());
        if (it == names.end()) fail(path, "has an unknown component '" + item.key() + "'");
        out.values[static_cast<std::size_t>(it - names.begin())] = read_number(path + "." + item.key(), item.value());
      }
    } else {
      fail(path, "expects an array of 5 numbers or an object keyed by component");
    }
  } else if constexpr (is_record<T>) {
    read_record(path + ".", v, out, false);  // options: any subset
  } else {                                   // std::optional<record>: null or every parameter
    if (v.is_null()) {
      out.reset();
    } else {
      typename T::value_type p{};
      p.log_likelihood = std::numeric_limits<double>::quiet_NaN();
      read_record(path + ".", v, p, true);
      out = p;
    }
  }
}

template <class S>
void read_record(const std::string& prefix, const json& v, S& record, bool require_all) {
  if (!v.is_object()) {
    if (prefix.empty()) throw ConfigError("config: expected a JSON object (got " + std::string(v.type_name()) + ")");
    fail(prefix.substr(0, prefix.size() - 1), "expects a JSON object (got " + std::string(v.type_name()) + ")");
  }
  for (auto item = v.begin(); item != v.end(); ++item) {
    bool known = false;
    visit_fields<S>([&](const auto& f) {
      if (f.name != item.key()) return;
      known = true;
      read_value(prefix + item.key(), item.value(), record.*f.member, f.domain);
    });
    if (!known) fail(prefix + item.key(), "is not a setting");
  }
  if (require_all)
    visit_fields<S>([&](const auto& f) {
      if (!v.contains(std::string(f.name))) fail(prefix + std::string(f.name), "is missing");
    });
}

// ---------------------------------------------------------------- JSON out

template <class S>
json write_record(const S& record);

template <class T>
json write_value(const T& value) {
  if constexpr (std::is_same_v<T, IntervalMethod>) {
    return json(std::string(to_string(value)));
  } else if constexpr (std::is_arithmetic_v<T>) {
    return json(value);
  } else if constexpr (is_spelled<T>) {
    return json(std::string(setting_spelling(value)));
  } else if constexpr (is_component_array<T>::value) {
    json j = json::object();
    for (std::size_t k = 0; k < component_count; ++k) j[std::string(value_names(value)[k])] = value.values[k];
    return j;
  } else if constexpr (is_record<T>) {
    return write_record(value);
  } else {
    return value ? write_record(*value) : json(nullptr);
  }
}

template <class S>
json write_record(const S& record) {
  json j = json::object();
  [[maybe_unused]] static const S defaults{};
  visit_fields<S>([&](const auto& f) {
    if (f.omit_default && write_value(record.*f.member) == write_value(defaults.*f.member)) return;
    j[std::string(f.name)] = write_value(record.*f.member);
  });
  return j;
}

}  // namespace

void validate(const ScoringConfig& config) { check_record("", config); }
void validate(const BgNbdParams& params) { check_record("bgnbd.", params); }
void validate(const GammaGammaParams& params) { check_record("gamma_gamma.", params); }
void validate(const FitOptions& options) { check_record("fit.", options); }
void validate(const ScorerOptions& options) { check_record("scorer.", options); }

ScorerOptions scorer_options_from_json(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw ConfigError(std::string("config: invalid JSON: ") + e.what());
  }
  ScorerOptions o;
  read_record("scorer.", j, o, false);
  validate(o);
  return o;
}
void validate(const ParetoNbdParams& params) { check_record("pareto_nbd.", params); }
void validate(const MbgNbdParams& params) { check_record("mbgnbd.", params); }
void validate(const BgBbParams& params) { check_record("bgbb.", params); }
void validate(const SbgParams& params) { check_record("sbg.", params); }

ScoringConfig config_from_json(const std::string& text, const ScoringConfig& base) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw ConfigError(std::string("config: invalid JSON: ") + e.what());
  }
  ScoringConfig c = base;
  read_record("", j, c, false);
  validate(c);
  return c;
}

ScoringConfig config_from_json(const std::string& text) { return config_from_json(text, ScoringConfig{}); }

std::string config_to_json(const ScoringConfig& c) {
  return write_record(c).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace rapport
