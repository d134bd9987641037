// The HTML report's building blocks: formatting, escaping and inline SVG charts.
#include "report/html_svg.hpp"
#include "io/utf8.hpp"

#include <rapport/io/writers.hpp>
#include <rapport/scoring/score.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>
#include <utility>

namespace rapport::detail::html {
namespace {

constexpr const char* replacement = "\xEF\xBF\xBD";

std::string group_thousands(const std::string& digits) {
  // digits: optional '-', integer part, optional fraction
  const std::size_t start = digits[0] == '-' ? 1 : 0;
  const std::size_t dot = std::min(digits.find('.'), digits.size());
  std::string out = start ? "−" : "";
  for (std::size_t k = start; k < dot; ++k) {
    out.push_back(digits[k]);
    const std::size_t left = dot - k - 1;
    if (left && left % 3 == 0) out.push_back(',');
  }
  return out + digits.substr(dot);
}

std::string number_attr(double v) { return std::isnan(v) ? std::string() : format_number(v); }

/// 1, 2 or 5 times a power of ten, at least x.
double nice_step(double x) {
  if (!(x > 0)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(x)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= x) return m * p;
  return 10 * p;
}

std::string num(double v) {  // SVG coordinates
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string svg_open(const std::string& id, const std::string& title, const std::string& desc, double w, double h) {
  const std::string eid = escape(id);
  return "<svg class=\"chart\" data-chart=\"" + eid + "\" role=\"img\" aria-labelledby=\"" + eid + "-title " + eid +
         "-desc\" viewBox=\"0 0 " + num(w) + " " + num(h) + "\" width=\"" + num(w) + "\" height=\"" + num(h) +
         "\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"" + eid + "-title\">" + escape(title) +
         "</title><desc id=\"" + eid + "-desc\">" + escape(desc) + "</desc>";
}

std::string text_el(double x, double y, const std::string& markup, const char* cls, const char* anchor = "start") {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" class=\"" + cls + "\" text-anchor=\"" + anchor + "\">" +
         markup + "</text>";
}

std::string rect(double x, double y, double w, double h, const char* fill, const std::string& tip) {
  return "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(std::max(0.0, w)) + "\" height=\"" +
         num(std::max(0.0, h)) + "\" fill=\"" + fill + "\"><title>" + escape(tip) + "</title></rect>";
}

std::string line(double x1, double y1, double x2, double y2, const char* cls) {
  return "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) + "\" class=\"" +
         cls + "\"/>";
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const std::size_t len = utf8_length(text, i);
      if (len)
        out.append(text.substr(i, len)), i += len;
      else
        out += replacement, ++i;
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if ((u < 0x20 && c != '\t' && c != '\n') || u == 0x7F)
          out += replacement;
        else
          out.push_back(c);
    }
    ++i;
  }
  return out;
}

std::string fixed(double v, int decimals) {
  if (std::isnan(v)) return "—";
  if (std::isinf(v)) return v > 0 ? "∞" : "−∞";
  char buf[400];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);  // no "-0.0"
  return group_thousands(s);
}

std::string signed_fixed(double v, int decimals) {
  const std::string s = fixed(v, decimals);
  return std::isnan(v) || s.rfind("−", 0) == 0 || s.find_first_not_of("0.,") == std::string::npos ? s : "+" + s;
}

std::string count(std::size_t n) { return group_thousands(std::to_string(n)); }

std::string percent(double share, int decimals) { return std::isnan(share) ? "—" : fixed(share * 100, decimals) + "%"; }

std::string money(double v, const std::string& currency) {
  if (std::isnan(v)) return "—";
  const bool cents = std::abs(v) < 10 && v != std::floor(v);
  std::string s = fixed(std::abs(v), cents ? 2 : 0);
  return (v < 0 && s.find_first_not_of("0.,") != std::string::npos ? "−" : "") + escape(currency) + s;
}

std::string short_money(double v, const std::string& currency) {
  if (std::isnan(v)) return "—";
  static constexpr std::pair<double, const char*> units[] = {{1e12, "T"}, {1e9, "bn"}, {1e6, "M"}, {1e3, "k"}};
  const double a = std::abs(v);
  std::string number;
  char buf[64];
  for (const auto& [size, unit] : units)
    if (a >= size) {
      std::snprintf(buf, sizeof buf, "%.3g%s", a / size, unit);
      number = buf;
      break;
    }
  if (number.empty()) {
    std::snprintf(buf, sizeof buf, "%.3g", a);
    number = buf;
  }
  return (v < 0 ? "−" : "") + escape(currency) + number;
}

std::string pointer_token(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out.push_back(c);
  }
  return out;
}

std::string metric(const std::string& pointer, double value, const std::string& text, const char* tag) {
  return std::string("<") + tag + " class=\"fig\" data-metric=\"" + escape(pointer) + "\" data-value=\"" +
         number_attr(value) + "\">" + text + "</" + tag + ">";
}

std::string aggregate(const std::string& name, double value, const std::string& text, const char* tag) {
  return std::string("<") + tag + " class=\"fig\" data-aggregate=\"" + escape(name) + "\" data-value=\"" +
         number_attr(value) + "\">" + text + "</" + tag + ">";
}

std::string validation_attributes(const std::string& pointer, double value) {
  return "data-validation=\"" + escape(pointer) + "\" data-value=\"" + number_attr(value) + "\"";
}

std::string validation_figure(const std::string& pointer, double value, const std::string& text, const char* tag) {
  return std::string("<") + tag + " class=\"fig\" " + validation_attributes(pointer, value) + ">" + text + "</" + tag +
         ">";
}

std::string reading(const std::string& markup) { return "<p class=\"reading\">" + markup + "</p>\n"; }

std::string figure(const std::string& reading_markup, const std::string& chart_markup) {
  return "<figure>\n" + reading_markup + chart_markup + "\n</figure>\n";
}

std::string column_chart(const ColumnChart& c) {
  constexpr double left = 84, right = 12, top = 12, plot_h = 180, bottom = 56;
  const std::size_t n = c.counts.size();
  const double slot = n ? std::clamp(560.0 / static_cast<double>(n), 14.0, 60.0) : 60;
  const double w = left + slot * static_cast<double>(std::max<std::size_t>(n, 1)) + right, h = top + plot_h + bottom;
  std::size_t most = 0;
  for (auto k : c.counts) most = std::max(most, k);
  const double step = nice_step(static_cast<double>(most) / 4), y_max = std::max(step * 4, 1.0);
  std::string s = svg_open(c.id, c.title, c.desc, w, h);
  for (int t = 0; t <= 4; ++t) {
    const double y = top + plot_h - plot_h * t / 4;
    s += line(left, y, w - right, y, "grid");
    s += text_el(left - 6, y + 4, fixed(step * t, 0), "tick", "end");
  }
  const auto every = static_cast<std::size_t>(std::max(1.0, std::ceil(52.0 / slot)));  // labels ~52 px wide
  for (std::size_t k = 0; k < n; ++k) {
    const double x = left + slot * static_cast<double>(k), bh = plot_h * static_cast<double>(c.counts[k]) / y_max;
    s += rect(x + 1, top + plot_h - bh, slot - 2, bh, c.colour,
              c.labels[k] + ": " + count(c.counts[k]) + " " + c.y_caption);
    if (k % every == 0) s += text_el(x + slot / 2, top + plot_h + 14, escape(c.labels[k]), "tick", "middle");
  }
  s += text_el(left + (w - left - right) / 2, h - 12, escape(c.x_caption), "axis", "middle");
  s += "<text class=\"axis\" text-anchor=\"middle\" transform=\"translate(16 " + num(top + plot_h / 2) +
       ") rotate(-90)\">" + escape(c.y_caption) + "</text>";
  return s + "</svg>";
}

std::string line_chart(const LineChart& c, const PointAttributes& point_attributes) {
  constexpr double left = 56, right = 150, top = 12, plot_h = 180, bottom = 40, plot_w = 480;
  const double w = left + plot_w + right, h = top + plot_h + bottom, span = c.y_max > c.y_min ? c.y_max - c.y_min : 1;
  const std::size_t n = c.labels.size();
  const auto X = [&](std::size_t k) {
    return left + (n > 1 ? plot_w * static_cast<double>(k) / static_cast<double>(n - 1) : plot_w / 2);
  };
  const auto Y = [&](double v) { return top + plot_h - plot_h * (std::clamp(v, c.y_min, c.y_max) - c.y_min) / span; };
  std::string s = svg_open(c.id, c.title, c.desc, w, h);
  for (int t = 0; t <= 4; ++t) {
    const double v = c.y_min + span * t / 4;
    s += line(left, Y(v), left + plot_w, Y(v), "grid");
    s += text_el(left - 6, Y(v) + 4, fixed(v, 0), "tick", "end");
  }
  const auto every = static_cast<std::size_t>(std::max(1.0, std::ceil(80.0 * static_cast<double>(n) / plot_w)));
  for (std::size_t k = 0; k < n; k += every)
    s += text_el(X(k), top + plot_h + 16, escape(c.labels[k]), "tick", "middle");
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const Series& line_s = c.series[i];
    std::string points;
    for (std::size_t k = 0; k < n && k < line_s.values.size(); ++k)
      if (!std::isnan(line_s.values[k])) points += num(X(k)) + "," + num(Y(line_s.values[k])) + " ";
    s += std::string("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"") + line_s.colour + "\" points=\"" + points +
         "\"/>";
    for (std::size_t k = 0; k < n && k < line_s.values.size(); ++k)
      if (!std::isnan(line_s.values[k]))
        s += "<circle cx=\"" + num(X(k)) + "\" cy=\"" + num(Y(line_s.values[k])) + "\" r=\"3.5\" fill=\"" +
             line_s.colour + "\"" + (point_attributes ? point_attributes(i, k) : std::string()) + "><title>" +
             escape(line_s.name + ", " + c.labels[k] + ": " + fixed(line_s.values[k], 1)) + "</title></circle>";
    const double ly = top + 12 + 18 * static_cast<double>(i);
    s += "<rect x=\"" + num(left + plot_w + 12) + "\" y=\"" + num(ly - 5) + "\" width=\"18\" height=\"3\" fill=\"" +
         line_s.colour + "\"/>";
    s += text_el(left + plot_w + 36, ly, escape(line_s.name), "tick");
  }
  s += "<text class=\"axis\" text-anchor=\"middle\" transform=\"translate(14 " + num(top + plot_h / 2) +
       ") rotate(-90)\">" + escape(c.y_caption) + "</text>";
  return s + "</svg>";
}

std::string bar_chart(const BarChart& c) {
  constexpr double left = 180, plot_w = 320, text_w = 200, row = 24, top = 8;
  double most = c.max;
  if (std::isnan(most)) {
    most = 0;
    for (const auto& b : c.bars)
      if (b.value > most) most = b.value;
  }
  if (!(most > 0)) most = 1;
  const double w = left + plot_w + text_w,
               h = top * 2 + row * static_cast<double>(std::max<std::size_t>(c.bars.size(), 1));
  std::string s = svg_open(c.id, c.title, c.desc, w, h);
  s += line(left, top, left, h - top, "axisline");
  for (std::size_t k = 0; k < c.bars.size(); ++k) {
    const auto& b = c.bars[k];
    const double y = top + row * static_cast<double>(k);
    const double len = std::isnan(b.value) ? 0 : plot_w * std::clamp(b.value / most, 0.0, 1.0);
    s += text_el(left - 8, y + row * 0.65, escape(b.label), "label", "end");
    s += rect(left, y + 4, len, row - 8, c.colour, b.label);
    if (!std::isnan(b.target)) {
      const double tx = left + plot_w * std::clamp(b.target / most, 0.0, 1.0);
      s += line(tx, y + 1, tx, y + row - 1, "target");
    }
    const double tx =
        left + std::max(len, std::isnan(b.target) ? 0.0 : plot_w * std::clamp(b.target / most, 0.0, 1.0)) + 6;
    s += text_el(tx, y + row * 0.65, b.text, "value");
  }
  return s + "</svg>";
}

std::string range_chart(const RangeChart& c) {
  constexpr double left = 150, plot_w = 360, text_w = 220, row = 26, top = 8, axis = 22;
  const double w = left + plot_w + text_w,
               h = top + row * static_cast<double>(std::max<std::size_t>(c.rows.size(), 1)) + axis;
  const auto X = [&](double v) { return left + plot_w * (std::clamp(v, c.lo, c.hi) - c.lo) / (c.hi - c.lo); };
  std::string s = svg_open(c.id, c.title, c.desc, w, h);
  const double bottom = h - axis;
  for (int t = 0; t <= 4; ++t) {
    const double v = c.lo + (c.hi - c.lo) * t / 4;
    s += line(X(v), top, X(v), bottom, "grid");
    s += text_el(X(v), bottom + 14, fixed(v, 0), "tick", "middle");
  }
  for (std::size_t k = 0; k < c.rows.size(); ++k) {
    const auto& r = c.rows[k];
    const double y = top + row * static_cast<double>(k), mid = y + row / 2;
    s += text_el(left - 8, mid + 4, escape(r.label), "label", "end");
    if (r.customers && !std::isnan(r.median)) {
      s += line(X(r.p10), mid, X(r.p90), mid, "whisker");
      s += rect(X(r.p25), y + 5, X(r.p75) - X(r.p25), row - 10, palette::sky,
                r.label + ": p25 " + fixed(r.p25, 1) + ", median " + fixed(r.median, 1) + ", p75 " + fixed(r.p75, 1));
      s += line(X(r.median), y + 3, X(r.median), y + row - 3, "median");
      s += "<circle cx=\"" + num(X(r.mean)) + "\" cy=\"" + num(mid) + "\" r=\"3.5\" class=\"mean\"/>";
    }
    s += text_el(left + plot_w + 8, mid + 4,
                 "mean " + metric(r.pointer + "/mean", r.mean, fixed(r.mean, 1), "tspan") + " · n " +
                     metric(r.pointer + "/customers", static_cast<double>(r.customers), count(r.customers), "tspan"),
                 "value");
  }
  return s + "</svg>";
}

namespace {

/// A tree's drawn people and their layout.
class TreeLayout {
public:
  TreeLayout(const ReferralForest& forest, std::uint32_t root, std::size_t max_nodes, std::size_t max_children) {
    std::vector<std::uint32_t> members;
    for (std::uint32_t v = 0; v < forest.root.size(); ++v)
      if (forest.root[v] == root) members.push_back(v);
    total_ = members.size();
    std::sort(members.begin(), members.end(), [&](auto a, auto b) {
      return forest.generation[a] != forest.generation[b] ? forest.generation[a] < forest.generation[b] : a < b;
    });
    // breadth first (parents before children), at most max_children drawn per parent
    std::unordered_map<std::uint32_t, std::size_t> slot;
    for (auto v : members) {
      if (nodes_.size() == max_nodes) break;
      std::size_t parent = 0;
      if (!nodes_.empty()) {
        const auto it = slot.find(forest.parent[v]);
        if (it == slot.end() || children_[it->second].size() == max_children) continue;
        parent = it->second;
      }
      slot[v] = nodes_.size();
      nodes_.push_back(v);
      children_.emplace_back();
      if (nodes_.size() > 1) children_[parent].push_back(nodes_.size() - 1);
    }
    x_.assign(nodes_.size(), 0);
    place(0);
    for (auto v : nodes_) depth_ = std::max(depth_, forest.generation[v] - forest.generation[root]);
  }
  const std::vector<std::uint32_t>& nodes() const { return nodes_; }
  const std::vector<std::vector<std::size_t>>& children() const { return children_; }
  double x(std::size_t i) const { return x_[i]; }
  double leaves() const { return next_leaf_; }
  std::size_t total() const { return total_; }
  std::uint32_t depth() const { return depth_; }

private:
  void place(std::size_t i) {  // leaves left to right in depth-first order, parents centred
    if (children_[i].empty()) {
      x_[i] = next_leaf_++;
      return;
    }
    for (auto ch : children_[i]) place(ch);
    x_[i] = (x_[children_[i].front()] + x_[children_[i].back()]) / 2;
  }
  std::vector<std::uint32_t> nodes_;
  std::vector<std::vector<std::size_t>> children_;
  std::vector<double> x_;
  double next_leaf_ = 0;
  std::size_t total_ = 0;
  std::uint32_t depth_ = 0;
};

}  // namespace

std::string tree_chart(const CustomerBase& base, const ReferralForest& forest, std::uint32_t root,
                       const std::string& size_pointer, std::size_t tree_size, std::size_t max_nodes) {
  const TreeLayout t(forest, root, std::max<std::size_t>(max_nodes, 1), 12);
  constexpr double dx = 22, dy = 46, pad = 18, caption = 40;
  const double w = std::max(260.0, t.leaves() * dx + 2 * pad), h = caption + pad + dy * t.depth() + pad;
  const std::string& root_id = base.person(root);
  const std::string id = "referral-tree-" + std::to_string(root);
  std::string s = svg_open(id, "Referral tree of " + root_id,
                           "Who referred whom, starting at " + root_id +
                               "; filled circles are customers, hollow ones people who are not (yet).",
                           w, h);
  const auto X = [&](std::size_t i) { return w / 2 + (t.x(i) - (t.leaves() - 1) / 2) * dx; };
  const auto Y = [&](std::size_t i) {
    return caption + pad + dy * (forest.generation[t.nodes()[i]] - forest.generation[root]);
  };
  for (std::size_t i = 0; i < t.nodes().size(); ++i)
    for (auto ch : t.children()[i]) s += line(X(i), Y(i), X(ch), Y(ch), "edge");
  for (std::size_t i = 0; i < t.nodes().size(); ++i) {
    const auto v = t.nodes()[i];
    const bool customer = v < base.customer_count();
    s += "<circle cx=\"" + num(X(i)) + "\" cy=\"" + num(Y(i)) + "\" r=\"6\" class=\"" +
         (customer ? "node" : "node prospect") + "\"><title>" + escape(base.person(v)) +
         (customer ? " (customer)" : " (not a customer)") + ", referred " + count(forest.converted_referrals[v]) +
         "</title></circle>";
    const std::size_t kids = forest.converted_referrals[v], drawn = t.children()[i].size();
    const std::size_t more = kids > drawn ? kids - drawn : 0;
    if (more) s += text_el(X(i) + 9, Y(i) - 6, "+" + count(more), "tick");
  }
  const std::size_t hidden = t.total() - t.nodes().size();
  s += text_el(w / 2, 16, escape(root_id), "label", "middle");
  s += text_el(w / 2, 32,
               metric(size_pointer, static_cast<double>(tree_size), count(tree_size), "tspan") + " people" +
                   (hidden ? ", " + count(hidden) + " not drawn" : std::string()),
               "value", "middle");
  return s + "</svg>";
}

std::string_view stylesheet() {
  return R"css(
:root{--ink:#1b1b1b;--muted:#555;--line:#d0d0d0;--card:#fff;--bg:#f4f4f2}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header,main{max-width:1100px;margin:0 auto;padding:0 16px}
h1{font-size:1.6rem;margin:24px 0 4px}
h2{font-size:1.25rem;margin:0 0 8px}
.meta{color:var(--muted);margin:0 0 16px}
section{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:16px;margin:0 0 16px}
figure{margin:0 0 16px;overflow-x:auto}
.reading{margin:0 0 6px;font-weight:500}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:8px;margin:0 0 16px}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px}
.kpi-value{font-size:1.35rem;font-weight:600;font-variant-numeric:tabular-nums}
.kpi-label{color:var(--muted);font-size:.85rem}
svg.chart{max-width:100%;height:auto;display:block}
svg text{font:12px system-ui,Arial,sans-serif;fill:var(--ink)}
svg .tick{fill:var(--muted);font-size:11px}
svg .axis{fill:var(--muted)}
svg .grid{stroke:#e6e6e6;stroke-width:1}
svg .axisline{stroke:#999}
svg .target{stroke:#000;stroke-width:2.5}
svg .whisker{stroke:#333;stroke-width:1.5}
svg .median{stroke:#000;stroke-width:2.5}
svg .mean{fill:#D55E00}
svg .edge{stroke:#888;stroke-width:1.2}
svg .node{fill:#0072B2;stroke:#0072B2;stroke-width:1.5}
svg .node.prospect{fill:#fff;stroke:#E69F00}
.trees{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
table{border-collapse:collapse;width:100%;margin:8px 0;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:4px 0}
td .range{color:#555;font-size:.85em;white-space:nowrap}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:right}
th:first-child,td:first-child{text-align:left}
tbody tr:nth-child(odd){background:#fafafa}
button{font:inherit;margin-left:8px}
@media print{body{background:#fff;font-size:12px}.noprint{display:none}section,figure,.kpi{break-inside:avoid}section{border:none;padding:0}}
)css";
}

std::string_view script() {
  return "(function(){var "
         "b=document.getElementById('print');if(b){b.addEventListener('click',function(){window.print();});}"
         "document.documentElement.setAttribute('data-charts',String(document.querySelectorAll('[data-chart]').length))"
         ";})();";
}

}  // namespace rapport::detail::html
