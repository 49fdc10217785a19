// The SVG chart primitives (analysis/svg_chart.hpp) on numbers worked out
// by hand: ticks of known ranges, the scales' pixels, the band's polygon,
// the escaping of hostile text, and the axis notes a caption must carry.
#include <catch2/catch.hpp>

#include <cmath>
#include <regex>
#include <sstream>

#include "analysis/svg_chart.hpp"

using namespace forksim;
using Catch::Detail::Approx;

namespace {

// The (x, y) pairs of a points="x,y x,y ..." attribute.
std::vector<std::pair<double, double>> polygon_points(const std::string& attr) {
  std::vector<std::pair<double, double>> v;
  std::istringstream in(attr);
  std::string pair;
  while (in >> pair) {
    auto comma = pair.find(',');
    v.push_back({std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1))});
  }
  return v;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

Chart line_chart(std::vector<ChartPoint> pts) {
  Chart c;
  c.title = "t";
  c.x.label = "x";
  c.y.label = "y (ms)";
  Series s;
  s.name = "s";
  s.points = std::move(pts);
  c.series.push_back(s);
  return c;
}

}  // namespace

TEST_CASE("nice ticks fall on 1, 2 or 5 times a power of ten and cover the range", "[svg]") {
  CHECK(nice_ticks(0, 1) == std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1});
  CHECK(nice_ticks(0, 47280) == std::vector<double>{0, 10000, 20000, 30000, 40000, 50000});
  CHECK(nice_ticks(3, 97) == std::vector<double>{0, 20, 40, 60, 80, 100});
  CHECK(nice_ticks(-7, 12) == std::vector<double>{-10, -5, 0, 5, 10, 15});
  // One value: widened around it, never an empty or inverted axis.
  const auto one = nice_ticks(5, 5);
  CHECK(one.front() <= 5);
  CHECK(one.back() >= 5);
  CHECK(one.size() >= 2);
}

TEST_CASE("log ticks are the decades, or 1-2-5 steps within a short span", "[svg]") {
  CHECK(log_ticks(0.0003, 2) == std::vector<double>{1e-4, 1e-3, 1e-2, 1e-1, 1, 10});
  CHECK(log_ticks(2, 64) == std::vector<double>{1, 10, 100});
  CHECK(log_ticks(3, 8) == std::vector<double>{2, 5, 10});
}

TEST_CASE("numbers read as people write them", "[svg]") {
  CHECK(format_number(47280.37) == "47,280");
  CHECK(format_number(5606.777) == "5607");
  CHECK(format_number(5606.777, 6) == "5606.78");
  CHECK(format_number(1234567, 6) == "1,234,567");
  CHECK(format_number(47280.37, 6) == "47,280.4");
  CHECK(format_number(37000, 6) == "37,000");
  CHECK(format_number(0.000123) == "0.000123");
  CHECK(format_number(0.1 + 0.2) == "0.3");
  CHECK(format_number(-12500) == "-12,500");
  CHECK(format_number(NAN) == "n/a");
  CHECK(format_number(0) == "0");
}

TEST_CASE("scales map data onto pixels, linearly or by log10", "[svg]") {
  Scale lin{0, 10, 100, 0, false};
  CHECK(lin(5) == Approx(50));
  CHECK(lin(0) == Approx(100));
  Scale lg{1, 100, 0, 200, true};
  CHECK(lg(10) == Approx(100));
  CHECK(lg(100) == Approx(200));
}

TEST_CASE("hostile text is escaped everywhere it is drawn", "[svg]") {
  CHECK(xml_escape("</title><script>alert('x')</script>&\"") ==
        "&lt;/title&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
  CHECK(xml_escape(std::string("a\x01" "b\x7f" "c\td")) == "abc\td");
  Chart c = line_chart({{0, 1}, {1, 2}});
  c.title = "</title><script>";
  c.series[0].name = "<b onload=x>";
  c.x.label = "<x>";
  c.x.categories = {"<script>", "&"};
  c.lines.push_back({1.5, "\"><script>"});
  const std::string svg = svg_chart(c);
  CHECK(svg.find("<script") == std::string::npos);
  CHECK(svg.find("<title>&lt;/title&gt;&lt;script&gt;</title>") != std::string::npos);
  CHECK(svg.find("&lt;b onload=x&gt;") != std::string::npos);
  CHECK(svg.find("&amp;") != std::string::npos);
}

TEST_CASE("a band is a polygon along hi and back along lo", "[svg]") {
  Chart c = line_chart({{1, 10, 8.0, 12.0}, {2, 20, 15.0, 25.0}, {4, 30, 27.0, 33.0}});
  const ChartLayout L = chart_layout(c);
  // The y axis from 0: nice ticks up to 40 (33 / 5 = 6.6, rounded up to a step of 10).
  CHECK(L.y.d0 == 0);
  CHECK(L.y.d1 == 40);
  const std::string svg = svg_chart(c);
  std::smatch m;
  REQUIRE(std::regex_search(svg, m, std::regex("<polygon class=\"band\"[^>]*points=\"([^\"]*)\"")));
  const auto pts = polygon_points(m[1]);
  REQUIRE(pts.size() == 6);
  const double xs[] = {1, 2, 4}, lo[] = {8, 15, 27}, hi[] = {12, 25, 33};
  for (int i = 0; i < 3; ++i) {
    CHECK(pts[i].first == Approx(L.x(xs[i])).margin(0.06));
    CHECK(pts[i].second == Approx(L.y(hi[i])).margin(0.06));
    CHECK(pts[5 - i].first == Approx(L.x(xs[i])).margin(0.06));
    CHECK(pts[5 - i].second == Approx(L.y(lo[i])).margin(0.06));
  }
  // The line is one mark; the band is not a mark.
  CHECK(count(svg, "class=\"mark line\"") == 1);
  CHECK(count(svg, "class=\"band\"") == 1);
  CHECK(svg.find("class=\"axis y\"") != std::string::npos);
  CHECK(svg.find("class=\"axis x\"") != std::string::npos);
  CHECK(svg.find("role=\"img\"") != std::string::npos);
}

TEST_CASE("a point's interval on a point series is a whisker of class band", "[svg]") {
  Chart c = line_chart({{0, 5, 4.0, 6.0}});
  c.series[0].style = SeriesStyle::Points;
  const std::string svg = svg_chart(c);
  CHECK(count(svg, "<circle class=\"mark\"") == 1);
  CHECK(count(svg, "class=\"band whisker\"") == 1);
}

TEST_CASE("a gap (NaN) breaks a line in two", "[svg]") {
  Chart c = line_chart({{0, 1}, {1, 2}, {2, NAN}, {3, 2}, {4, 1}});
  const std::string svg = svg_chart(c);
  CHECK(count(svg, "<polyline class=\"mark line\"") == 2);
}

TEST_CASE("the caption says the axis does not start at 0 exactly when it does not", "[svg]") {
  Chart c = line_chart({{0, 60}, {1, 100}});
  CHECK_FALSE(axis_truncated(c));
  CHECK(axis_notes(c) == "");
  CHECK(chart_layout(c).y.d0 == 0);
  c.y.min = 50;
  CHECK(axis_truncated(c));
  CHECK(axis_notes(c) == "the y axis does not start at 0.");
  CHECK(chart_layout(c).y.d0 == 50);
  // A forced minimum of 0 is no truncation.
  c.y.min = 0;
  CHECK_FALSE(axis_truncated(c));
  CHECK(axis_notes(c) == "");
  // All zeros: 0 at the bottom, as anywhere else.
  Chart zeros = line_chart({{0, 0}, {1, 0}});
  CHECK(chart_layout(zeros).y.d0 == 0);
  CHECK(chart_layout(zeros).y.d1 == 1);
  // Negative data reach below 0: the axis still covers 0.
  Chart neg = line_chart({{0, -3}, {1, 4}});
  CHECK_FALSE(axis_truncated(neg));
  CHECK(chart_layout(neg).y.d0 <= -3);
}

TEST_CASE("a log axis says so on its label and in the notes, and counts what it cannot draw", "[svg]") {
  Chart c = line_chart({{0, 0.001}, {1, 1}, {2, 0}});
  c.series[0].style = SeriesStyle::Bars;
  c.x.categories = {"a", "b", "c"};
  c.y.log = true;
  const std::string svg = svg_chart(c);
  CHECK(svg.find("y (ms), log scale") != std::string::npos);
  CHECK(axis_notes(c) == "log scale: the y axis does not start at 0. 1 value at or below 0 is not drawn "
                         "on the log scale.");
  // Bars have no meaning on a log axis: points instead, two of them.
  CHECK(svg.find("<rect class=\"mark") == std::string::npos);
  CHECK(count(svg, "<circle class=\"mark\"") == 2);
  const ChartLayout L = chart_layout(c);
  CHECK(L.y_ticks == std::vector<double>{1e-3, 1e-2, 1e-1, 1});
}

TEST_CASE("markers, bound lines and the legend are drawn with their labels", "[svg]") {
  Chart c = line_chart({{1, 1}, {2, 2}});
  c.series.push_back(c.series[0]);
  c.series[1].name = "fit";
  c.series[1].mark_class = "usl";
  c.markers.push_back({1.5, "knee: 1.5"});
  c.lines.push_back({1.8, "SLO"});
  const std::string svg = svg_chart(c);
  CHECK(svg.find("class=\"marker\"") != std::string::npos);
  CHECK(svg.find(">knee: 1.5</text>") != std::string::npos);
  CHECK(svg.find("class=\"threshold\"") != std::string::npos);
  CHECK(count(svg, "class=\"legend\"") == 2);
  CHECK(svg.find("class=\"mark usl line\"") != std::string::npos);
  // Explicit ticks are the ticks drawn.
  c.x.ticks = {1, 2};
  CHECK(chart_layout(c).x_ticks == std::vector<double>{1, 2});
}
