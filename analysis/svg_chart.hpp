// Charts as SVG text, drawn from numbers alone: pure functions, no I/O.
//
// A chart is a plot area with an x and a y axis (linear, log10 or, on x,
// categorical), data series (a line, points or bars; each point may carry
// an interval lo..hi, drawn as a shaded band along a line or as a whisker),
// vertical markers (a knee, an answer), horizontal lines (a bound) and a
// legend. Every text given is escaped. The SVG follows the HTML report's
// contract (docs in ISSUE13_DESIGN.md): `role="img"` with a `<title>`, data
// marks of class `mark`, intervals of class `band`, axes of class `axis`.
//
// Honesty rules the drawing keeps: a linear axis covers 0 unless its
// `min` is set above 0 (then axis_truncated() is true and the caption must
// say so); a log axis says "log scale" in its label; values a log axis
// cannot show (<= 0) are left out and counted (dropped_on_log).
#pragma once
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace forksim {

// Text and attribute values with &, <, >, " and ' replaced by entities, and
// control characters (other than tab and newline) dropped.
std::string xml_escape(const std::string& s);

// A number as a person reads it: `digits` significant digits (every
// integer digit from 10,000 on, grouped with commas), an exponent only
// below 1e-4 or from 1e15; "n/a" for NaN.
std::string format_number(double v, int digits = 4);

// Ticks at 1, 2 or 5 times a power of ten, about `target` of them, the
// first at or below lo and the last at or above hi (lo < hi; lo == hi is
// widened around the value).
std::vector<double> nice_ticks(double lo, double hi, int target = 5);
// Ticks for a log10 axis over [lo, hi] (0 < lo < hi): the powers of ten
// from at or below lo to at or above hi; when that would give fewer than
// 3, the 1-2-5 steps within each decade.
std::vector<double> log_ticks(double lo, double hi);

// Maps data to pixels: d0..d1 onto p0..p1 (p0 > p1 for a y axis), in log10
// when `log`.
struct Scale {
  double d0 = 0, d1 = 1, p0 = 0, p1 = 1;
  bool log = false;
  double operator()(double v) const;
};

struct Axis {
  std::string label;                     // with its unit: "fork latency (ms)"
  bool log = false;                      // the label gains ", log scale"
  std::optional<double> min, max;        // forced ends (else from the data)
  std::vector<double> ticks;             // explicit tick positions (else nice ones)
  std::vector<std::string> categories;   // x only: a categorical axis, x = index
};

struct ChartPoint {
  ChartPoint() = default;
  ChartPoint(double x_, double y_, std::optional<double> lo_ = std::nullopt,
             std::optional<double> hi_ = std::nullopt)
      : x(x_), y(y_), lo(lo_), hi(hi_) {}
  double x = 0;
  double y = std::numeric_limits<double>::quiet_NaN();  // NaN: no value (a gap)
  std::optional<double> lo, hi;  // the interval, when there is one
};

enum class SeriesStyle { Line, Points, LinePoints, Bars };

struct Series {
  std::string name;   // in the legend and the mark's <title>
  SeriesStyle style = SeriesStyle::Line;
  std::vector<ChartPoint> points;
  std::string mark_class;  // extra class on its marks ("usl")
  bool dashed = false;
  bool in_table = true;    // false for a drawn curve (a fit) that is no data
  // Pairs of series told apart by shape rather than colour (a group's
  // requests near and away from forks): the palette index to share, and
  // hollow points for the second of the pair.
  std::optional<std::size_t> colour;
  bool hollow = false;
};

struct VMarker {
  double x = 0;
  std::string label;
};
struct HLine {
  double y = 0;
  std::string label;
};

struct Chart {
  std::string title;  // the SVG's <title>
  Axis x, y;
  std::vector<Series> series;
  std::vector<VMarker> markers;
  std::vector<HLine> lines;
  int width = 720, height = 360;
};

// Where things go: the plot area and the two scales (the x of a categorical
// axis is the category's index, centred in its slot), with the ticks drawn.
struct ChartLayout {
  double left = 0, right = 0, top = 0, bottom = 0;
  Scale x, y;
  std::vector<double> x_ticks, y_ticks;
  std::size_t dropped_on_log = 0;  // values <= 0 a log axis could not draw
};
ChartLayout chart_layout(const Chart& c);

// Whether the y axis is linear and does not reach down to 0 (a forced min
// above 0, or data all below 0 with a forced max below 0).
bool axis_truncated(const Chart& c);

// What the caption must say about the axes: "the y axis does not start at
// 0." when truncated, "log scale: the y axis does not start at 0." on a log
// y axis, "N values at or below 0 are not drawn on the log scale." when
// some were left out; "" when nothing needs saying.
std::string axis_notes(const Chart& c);

// The SVG element, `width` x `height` user units, scaled to its container.
std::string svg_chart(const Chart& c);

}  // namespace forksim
