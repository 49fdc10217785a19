#include "analysis/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

namespace forksim {
namespace {

constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                    "#9467bd", "#8c564b", "#e377c2", "#17becf"};
constexpr std::size_t kColours = sizeof kPalette / sizeof kPalette[0];
constexpr double kCharWidth = 6.2;  // of the 11 px sans-serif labels, about
constexpr double kLegendRow = 16;

std::string px(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

bool finite(double v) { return std::isfinite(v); }

// The y values a point contributes to the axis' range.
void collect_y(const ChartPoint& p, std::vector<double>& out) {
  if (finite(p.y)) out.push_back(p.y);
  if (p.lo && finite(*p.lo)) out.push_back(*p.lo);
  if (p.hi && finite(*p.hi)) out.push_back(*p.hi);
}

bool categorical(const Chart& c) { return !c.x.categories.empty(); }

// Bars cannot stand on a log axis (their length would mean nothing): they
// are drawn as points there.
SeriesStyle style_of(const Chart& c, const Series& s) {
  return s.style == SeriesStyle::Bars && c.y.log ? SeriesStyle::Points : s.style;
}

std::vector<std::string> legend_names(const Chart& c) {
  std::vector<std::string> v;
  std::set<std::string> seen;
  for (const Series& s : c.series)
    if (!s.name.empty() && seen.insert(s.name).second) v.push_back(s.name);
  return v;
}

// Rows of legend entries that fit the width, each entry a swatch and a name.
std::vector<std::vector<std::size_t>> legend_rows(const Chart& c, const std::vector<std::string>& names) {
  std::vector<std::vector<std::size_t>> rows;
  double x = 0, avail = c.width - 80.0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    double w = 24 + names[i].size() * kCharWidth + 14;
    if (rows.empty() || (x + w > avail && !rows.back().empty())) rows.push_back({}), x = 0;
    rows.back().push_back(i);
    x += w;
  }
  return rows;
}

std::size_t longest_category(const Chart& c) {
  std::size_t n = 0;
  for (const auto& s : c.x.categories) n = std::max(n, s.size());
  return n;
}

// Category labels turn when they would not fit their slot side by side.
bool turned_labels(const Chart& c, double plot_width) {
  if (!categorical(c)) return false;
  return longest_category(c) * kCharWidth > plot_width / c.x.categories.size() - 4;
}

std::string axis_label(const Axis& a) { return a.log ? a.label + ", log scale" : a.label; }

struct Range {
  double lo, hi;
};

std::vector<double> within(const std::vector<double>& ticks, double lo, double hi) {
  std::vector<double> v;
  const double eps = (hi - lo) * 1e-9;
  for (double t : ticks)
    if (t >= lo - eps && t <= hi + eps) v.push_back(t);
  return v;
}

// The axis' data range and its ticks, from the values it must show; a y
// axis (from_zero) reaches 0 and leaves room above its top value.
Range axis_range(const Axis& a, std::vector<double> values, bool from_zero, std::vector<double>& ticks,
                 std::size_t* dropped) {
  if (a.log) {
    std::size_t before = values.size();
    values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !(v > 0); }),
                 values.end());
    if (dropped) *dropped = before - values.size();
  }
  for (double t : a.ticks)
    if (!a.log || t > 0) values.push_back(t);
  double lo, hi;
  if (values.empty()) {
    lo = a.log ? 1 : 0;
    hi = a.log ? 10 : 1;
  } else {
    lo = *std::min_element(values.begin(), values.end());
    hi = *std::max_element(values.begin(), values.end());
  }
  if (a.log) {
    if (a.min && *a.min > 0) lo = *a.min;
    if (a.max && *a.max > lo) hi = *a.max;
    if (hi <= lo) hi = lo * 10;
    if (!a.ticks.empty()) {
      // Explicit ticks at the data: a little room either side.
      ticks = within(a.ticks, lo, hi);
      return {lo / 1.15, hi * 1.15};
    }
    ticks = log_ticks(lo, hi);
    if (a.min || a.max) {
      ticks = within(ticks, lo, hi);
      return {lo, hi};
    }
    return {std::min(lo, ticks.front()), std::max(hi, ticks.back())};
  }
  const double data_hi = hi;
  if (from_zero) {
    lo = std::min(lo, 0.0), hi = std::max(hi, 0.0);
    if (hi == lo) hi = 1;  // all zeros: 0 at the bottom still, not mid-axis
  }
  if (a.min) lo = *a.min;
  if (a.max) hi = *a.max;
  if (!a.ticks.empty()) {
    ticks = within(a.ticks, lo, hi);
    double pad = hi > lo ? (hi - lo) * 0.04 : std::max(std::fabs(lo) * 0.1, 1.0);
    return {a.min ? lo : lo - pad, a.max ? hi : hi + pad};
  }
  ticks = nice_ticks(lo, hi);
  if (a.min || a.max) {
    if (hi <= lo) hi = lo + 1;
    ticks = within(ticks, lo, hi);
    return {lo, hi};
  }
  // On y, a top value on the last tick would touch the frame: a little room.
  const double span = ticks.back() - ticks.front();
  if (from_zero && data_hi > 0 && ticks.back() - data_hi < 0.02 * span) return {ticks.front(), ticks.back() + 0.04 * span};
  return {ticks.front(), ticks.back()};
}

}  // namespace

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    unsigned char u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (u < 0x20 && ch != '\n' && ch != '\t') break;  // not allowed in XML 1.0
        if (u == 0x7f) break;
        out += ch;
    }
  }
  return out;
}

std::string format_number(double v, int digits) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return "0";
  const double a = std::fabs(v);
  char b[64];
  if (a >= 1e4 && a < 1e15) {
    const int int_digits = static_cast<int>(std::floor(std::log10(a))) + 1;
    std::snprintf(b, sizeof b, "%.*f", std::max(0, digits - int_digits), a);
    std::string text = b, fraction;
    if (auto dot = text.find('.'); dot != std::string::npos) {
      fraction = text.substr(dot);
      text.resize(dot);
      while (fraction.back() == '0') fraction.pop_back();
      if (fraction == ".") fraction.clear();
    }
    std::string grouped;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (i && (text.size() - i) % 3 == 0) grouped += ',';
      grouped += text[i];
    }
    return (v < 0 ? "-" : "") + grouped + fraction;
  }
  std::snprintf(b, sizeof b, "%.*g", digits, v);
  return b;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) {
    double w = lo == 0 ? 1 : std::fabs(lo) * 0.5;
    lo -= w, hi += w;
  }
  target = std::max(target, 2);
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 5.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  const long first = static_cast<long>(std::floor(lo / step + 1e-9));
  const long last = static_cast<long>(std::ceil(hi / step - 1e-9));
  std::vector<double> v;
  for (long k = first; k <= last; ++k) v.push_back(k == 0 ? 0.0 : k * step);
  return v;
}

std::vector<double> log_ticks(double lo, double hi) {
  const int e0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int e1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  std::vector<double> v;
  if (e1 - e0 >= 2) {
    for (int e = e0; e <= e1; ++e) v.push_back(std::pow(10.0, e));
    return v;
  }
  // Within a decade or two: 1, 2 and 5 of each, trimmed to one step beyond the data.
  for (int e = e0; e <= e1; ++e)
    for (double m : {1.0, 2.0, 5.0}) v.push_back(m * std::pow(10.0, e));
  std::vector<double> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    bool below_next = i + 1 < v.size() && v[i + 1] <= lo * (1 + 1e-12);
    bool above_prev = i > 0 && v[i - 1] >= hi * (1 - 1e-12);
    if (!below_next && !above_prev) out.push_back(v[i]);
  }
  return out;
}

double Scale::operator()(double v) const {
  double a = d0, b = d1;
  if (log) {
    v = std::log10(v);
    a = std::log10(a);
    b = std::log10(b);
  }
  if (b == a) return (p0 + p1) / 2;
  return p0 + (v - a) / (b - a) * (p1 - p0);
}

ChartLayout chart_layout(const Chart& c) {
  ChartLayout L;
  const auto rows = legend_rows(c, legend_names(c));
  L.left = 74;
  L.right = c.width - 18.0;
  L.top = 14 + rows.size() * kLegendRow + 6;
  double bottom_margin = 46;
  if (turned_labels(c, L.right - L.left))
    bottom_margin = 30 + std::min<std::size_t>(longest_category(c), 40) * kCharWidth * 0.6;
  L.bottom = c.height - bottom_margin;

  if (categorical(c)) {
    const double n = static_cast<double>(c.x.categories.size());
    L.x = {-0.5, n - 0.5, L.left, L.right, false};
    for (std::size_t i = 0; i < c.x.categories.size(); ++i) L.x_ticks.push_back(static_cast<double>(i));
  } else {
    std::vector<double> xs;
    for (const Series& s : c.series)
      for (const ChartPoint& p : s.points)
        if (finite(p.x)) xs.push_back(p.x);
    for (const VMarker& m : c.markers) xs.push_back(m.x);
    Range r = axis_range(c.x, xs, false, L.x_ticks, nullptr);
    L.x = {r.lo, r.hi, L.left, L.right, c.x.log};
  }
  std::vector<double> ys;
  for (const Series& s : c.series)
    for (const ChartPoint& p : s.points) collect_y(p, ys);
  for (const HLine& h : c.lines) ys.push_back(h.y);
  Range r = axis_range(c.y, ys, true, L.y_ticks, &L.dropped_on_log);
  L.y = {r.lo, r.hi, L.bottom, L.top, c.y.log};
  return L;
}

bool axis_truncated(const Chart& c) {
  if (c.y.log) return false;
  const ChartLayout L = chart_layout(c);
  return L.y.d0 > 0 || L.y.d1 < 0;
}

std::string axis_notes(const Chart& c) {
  std::string s;
  if (c.y.log)
    s = "log scale: the y axis does not start at 0.";
  else if (axis_truncated(c))
    s = "the y axis does not start at 0.";
  const std::size_t dropped = chart_layout(c).dropped_on_log;
  if (dropped)
    s += std::string(s.empty() ? "" : " ") + std::to_string(dropped) +
         (dropped == 1 ? " value at or below 0 is" : " values at or below 0 are") +
         " not drawn on the log scale.";
  return s;
}

std::string svg_chart(const Chart& c) {
  const ChartLayout L = chart_layout(c);
  const auto names = legend_names(c);
  const auto rows = legend_rows(c, names);
  std::ostringstream o;
  o << "<svg role=\"img\" viewBox=\"0 0 " << c.width << " " << c.height << "\" width=\"" << c.width
    << "\" height=\"" << c.height << "\">";
  o << "<title>" << xml_escape(c.title) << "</title>";

  auto clamp_y = [&](double v) { return std::clamp(L.y(v), L.top, L.bottom); };
  auto clamp_x = [&](double v) { return std::clamp(L.x(v), L.left, L.right); };
  auto colour_of = [&](const Series& s) {
    auto it = std::find(names.begin(), names.end(), s.name);
    std::size_t i = it == names.end() ? 0 : static_cast<std::size_t>(it - names.begin());
    return kPalette[s.colour.value_or(i) % kColours];
  };
  // A point's fill: its colour, or white inside its colour when hollow.
  auto fill_of = [&](const Series& s) {
    const std::string c = colour_of(s);
    return s.hollow ? "\"#fff\" stroke=\"" + c + "\" stroke-width=\"1.5\"" : "\"" + c + "\"";
  };

  // Grid and axes.
  o << "<g class=\"axis y\">";
  for (double t : L.y_ticks) {
    const double y = L.y(t);
    o << "<line class=\"grid\" x1=\"" << px(L.left) << "\" x2=\"" << px(L.right) << "\" y1=\"" << px(y)
      << "\" y2=\"" << px(y) << "\"/>";
    o << "<text x=\"" << px(L.left - 6) << "\" y=\"" << px(y + 4) << "\" text-anchor=\"end\">"
      << xml_escape(format_number(t)) << "</text>";
  }
  o << "<line class=\"axis-line\" x1=\"" << px(L.left) << "\" x2=\"" << px(L.left) << "\" y1=\""
    << px(L.top) << "\" y2=\"" << px(L.bottom) << "\"/>";
  const double mid_y = (L.top + L.bottom) / 2;
  o << "<text class=\"axis-label\" transform=\"translate(16," << px(mid_y)
    << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(axis_label(c.y)) << "</text></g>";

  const bool turned = turned_labels(c, L.right - L.left);
  o << "<g class=\"axis x\">";
  o << "<line class=\"axis-line\" x1=\"" << px(L.left) << "\" x2=\"" << px(L.right) << "\" y1=\""
    << px(L.bottom) << "\" y2=\"" << px(L.bottom) << "\"/>";
  for (double t : L.x_ticks) {
    const double x = L.x(t);
    o << "<line x1=\"" << px(x) << "\" x2=\"" << px(x) << "\" y1=\"" << px(L.bottom) << "\" y2=\""
      << px(L.bottom + 5) << "\"/>";
    std::string text = categorical(c) ? c.x.categories[static_cast<std::size_t>(t)] : format_number(t);
    if (turned) {
      if (text.size() > 40) text = text.substr(0, 39) + "...";
      o << "<text transform=\"translate(" << px(x + 3) << "," << px(L.bottom + 14)
        << ") rotate(-35)\" text-anchor=\"end\">" << xml_escape(text) << "</text>";
    } else {
      o << "<text x=\"" << px(x) << "\" y=\"" << px(L.bottom + 17) << "\" text-anchor=\"middle\">"
        << xml_escape(text) << "</text>";
    }
  }
  o << "<text class=\"axis-label\" x=\"" << px((L.left + L.right) / 2) << "\" y=\""
    << px(c.height - 6.0) << "\" text-anchor=\"middle\">" << xml_escape(axis_label(c.x))
    << "</text></g>";

  // Horizontal lines (bounds) and vertical markers under the data.
  for (std::size_t i = 0; i < c.lines.size(); ++i) {
    // Labels alternate right and left, so that two close bounds stay legible.
    const HLine& h = c.lines[i];
    const double y = clamp_y(h.y);
    const bool left = i % 2 == 1;
    o << "<g class=\"threshold\"><line x1=\"" << px(L.left) << "\" x2=\"" << px(L.right) << "\" y1=\""
      << px(y) << "\" y2=\"" << px(y) << "\"/><text x=\"" << px(left ? L.left + 4 : L.right - 4) << "\" y=\""
      << px(y - 4) << "\" text-anchor=\"" << (left ? "start" : "end") << "\">" << xml_escape(h.label)
      << "</text></g>";
  }
  for (std::size_t i = 0; i < c.markers.size(); ++i) {
    const VMarker& m = c.markers[i];
    const double x = clamp_x(m.x);
    const bool right_half = x > (L.left + L.right) / 2;
    o << "<g class=\"marker\"><line x1=\"" << px(x) << "\" x2=\"" << px(x) << "\" y1=\"" << px(L.top)
      << "\" y2=\"" << px(L.bottom) << "\"/><text x=\"" << px(right_half ? x - 4 : x + 4) << "\" y=\""
      << px(L.top + 12 + 14.0 * i) << "\" text-anchor=\"" << (right_half ? "end" : "start") << "\">"
      << xml_escape(m.label) << "</text></g>";
  }

  // Series: bands first, then marks, so that a line is never hidden.
  std::size_t dodged = 0;
  for (const Series& s : c.series)
    if (categorical(c) && style_of(c, s) != SeriesStyle::Line) ++dodged;
  const double slot = categorical(c) ? (L.right - L.left) / c.x.categories.size() : 0;
  std::size_t dodge_index = 0;
  std::ostringstream marks;
  for (const Series& s : c.series) {
    const SeriesStyle style = style_of(c, s);
    const std::string colour = colour_of(s);
    double offset = 0, bar_width = 0;
    if (categorical(c) && style != SeriesStyle::Line) {
      const double group = slot * 0.8;
      const double each = group / std::max<std::size_t>(dodged, 1);
      offset = -group / 2 + each * (dodge_index + 0.5);
      if (style != SeriesStyle::Bars) offset *= std::min(1.0, 14.0 / each);  // points stay close
      bar_width = std::min(each * 0.9, 90.0);  // a lone bar stays a bar, not a wall
      ++dodge_index;
    }
    const std::string cls = s.mark_class.empty() ? "mark" : "mark " + xml_escape(s.mark_class);
    const std::string name = xml_escape(s.name);
    auto X = [&](const ChartPoint& p) { return clamp_x(p.x) + offset; };
    auto ok = [&](const ChartPoint& p) {
      return finite(p.x) && finite(p.y) && (!c.y.log || p.y > 0) && (!c.x.log || p.x > 0);
    };
    auto has_interval = [&](const ChartPoint& p) {
      return ok(p) && p.lo && p.hi && finite(*p.lo) && finite(*p.hi) &&
             (!c.y.log || (*p.lo > 0 && *p.hi > 0));
    };
    // Runs of consecutive drawable points: a line breaks at a gap.
    std::vector<std::vector<const ChartPoint*>> runs(1);
    for (const ChartPoint& p : s.points) {
      if (ok(p))
        runs.back().push_back(&p);
      else if (!runs.back().empty())
        runs.emplace_back();
    }
    if (style == SeriesStyle::Line || style == SeriesStyle::LinePoints) {
      // Bands over the runs of points that have intervals.
      std::vector<const ChartPoint*> band;
      auto flush = [&] {
        if (band.size() >= 2) {
          o << "<polygon class=\"band\" fill=\"" << colour << "\" points=\"";
          for (const ChartPoint* p : band) o << px(X(*p)) << "," << px(clamp_y(*p->hi)) << " ";
          for (auto it = band.rbegin(); it != band.rend(); ++it)
            o << px(X(**it)) << "," << px(clamp_y(*(*it)->lo)) << " ";
          o << "\"><title>" << name << ": interval</title></polygon>";
        } else if (band.size() == 1) {
          const ChartPoint& p = *band[0];
          o << "<line class=\"band whisker\" stroke=\"" << colour << "\" x1=\"" << px(X(p)) << "\" x2=\""
            << px(X(p)) << "\" y1=\"" << px(clamp_y(*p.lo)) << "\" y2=\"" << px(clamp_y(*p.hi)) << "\"/>";
        }
        band.clear();
      };
      for (const ChartPoint& p : s.points) {
        if (has_interval(p))
          band.push_back(&p);
        else
          flush();
      }
      flush();
      for (const auto& run : runs) {
        if (run.size() >= 2) {
          marks << "<polyline class=\"" << cls << " line\" stroke=\"" << colour << "\""
                << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << " points=\"";
          for (const ChartPoint* p : run) marks << px(X(*p)) << "," << px(clamp_y(p->y)) << " ";
          marks << "\"><title>" << name << "</title></polyline>";
        }
        if (run.size() == 1 || style == SeriesStyle::LinePoints)
          for (const ChartPoint* p : run)
            marks << "<circle class=\"" << cls << "\" fill=" << fill_of(s) << " cx=\"" << px(X(*p))
                  << "\" cy=\"" << px(clamp_y(p->y)) << "\" r=\"3\"><title>" << name << ": "
                  << xml_escape(format_number(p->y)) << "</title></circle>";
      }
      continue;
    }
    for (const ChartPoint& p : s.points) {
      if (!ok(p)) continue;
      const double x = X(p);
      const std::string title = "<title>" + name + ": " + xml_escape(format_number(p.y)) + "</title>";
      if (style == SeriesStyle::Bars) {
        const double y0 = clamp_y(0), y1 = clamp_y(p.y);
        marks << "<rect class=\"" << cls << " bar\" fill=\"" << colour << "\" x=\"" << px(x - bar_width / 2)
              << "\" y=\"" << px(std::min(y0, y1)) << "\" width=\"" << px(bar_width) << "\" height=\""
              << px(std::max(std::fabs(y1 - y0), 0.5)) << "\">" << title << "</rect>";
      } else {
        marks << "<circle class=\"" << cls << "\" fill=" << fill_of(s) << " cx=\"" << px(x) << "\" cy=\""
              << px(clamp_y(p.y)) << "\" r=\"3.5\">" << title << "</circle>";
      }
      if (has_interval(p)) {
        const double ylo = clamp_y(*p.lo), yhi = clamp_y(*p.hi);
        marks << "<g class=\"band whisker\" stroke=\"" << (style == SeriesStyle::Bars ? "#222" : colour)
              << "\"><line x1=\"" << px(x) << "\" x2=\"" << px(x) << "\" y1=\"" << px(ylo) << "\" y2=\""
              << px(yhi) << "\"/><line x1=\"" << px(x - 4) << "\" x2=\"" << px(x + 4) << "\" y1=\""
              << px(ylo) << "\" y2=\"" << px(ylo) << "\"/><line x1=\"" << px(x - 4) << "\" x2=\""
              << px(x + 4) << "\" y1=\"" << px(yhi) << "\" y2=\"" << px(yhi) << "\"/></g>";
      }
    }
  }
  o << marks.str();

  // Legend.
  double ly = 14;
  for (const auto& row : rows) {
    double lx = L.left;
    for (std::size_t i : row) {
      const Series* s = nullptr;
      for (const Series& t : c.series)
        if (t.name == names[i]) {
          s = &t;
          break;
        }
      const std::string colour = colour_of(*s);
      const SeriesStyle st = style_of(c, *s);
      o << "<g class=\"legend\">";
      if (st == SeriesStyle::Bars)
        o << "<rect x=\"" << px(lx) << "\" y=\"" << px(ly - 8) << "\" width=\"16\" height=\"9\" fill=\""
          << colour << "\"/>";
      else if (st == SeriesStyle::Points)
        o << "<circle cx=\"" << px(lx + 8) << "\" cy=\"" << px(ly - 4) << "\" r=\"3.5\" fill=" << fill_of(*s)
          << "/>";
      else
        o << "<line x1=\"" << px(lx) << "\" x2=\"" << px(lx + 18) << "\" y1=\"" << px(ly - 4) << "\" y2=\""
          << px(ly - 4) << "\" stroke=\"" << colour << "\" stroke-width=\"2\""
          << (s->dashed ? " stroke-dasharray=\"6 4\"" : "") << "/>";
      if (st == SeriesStyle::LinePoints)
        o << "<circle cx=\"" << px(lx + 9) << "\" cy=\"" << px(ly - 4) << "\" r=\"3\" fill=\"" << colour << "\"/>";
      o << "<text x=\"" << px(lx + 24) << "\" y=\"" << px(ly) << "\">" << xml_escape(names[i])
        << "</text></g>";
      lx += 24 + names[i].size() * kCharWidth + 14;
    }
    ly += kLegendRow;
  }
  o << "</svg>";
  return o.str();
}

}  // namespace forksim
