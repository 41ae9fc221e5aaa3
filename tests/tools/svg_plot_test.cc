// The two-series SVG line chart of `mqstore bench --plot` (tools/svg_plot.h).
#include "tools/svg_plot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace mqstore::cli {
namespace {

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The number of "x,y" pairs in each polyline's points attribute.
std::vector<size_t> PolylinePoints(const std::string& svg) {
  std::vector<size_t> out;
  for (size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) {
    const size_t end = svg.find('>', at);
    const size_t begin = svg.find("points=\"", at);
    if (begin == std::string::npos || begin > end) {
      ADD_FAILURE() << "a polyline without points";
      continue;
    }
    const size_t first = begin + 8;
    std::istringstream points(svg.substr(first, svg.find('"', first) - first));
    std::string pair;
    size_t n = 0;
    while (points >> pair) {
      EXPECT_NE(pair.find(','), std::string::npos) << pair;
      ++n;
    }
    out.push_back(n);
  }
  return out;
}

TwoSeriesChart Sample() {
  TwoSeriesChart c;
  c.title = "put: producers <sweep> & more";
  c.x_title = "producers";
  c.x_labels = {"1", "4", "16", "64"};
  c.left = {"throughput (msgs/s)", {1.2e6, 2.1e6, 2.4e6, 2.3e6}};
  c.right = {"p99 latency (us)", {3, 9, 40, 210}};
  return c;
}

TEST(SvgPlot, WellFormedWithOnePolylinePerSeries) {
  const std::string svg = RenderTwoSeriesSvg(Sample());
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_EQ(PolylinePoints(svg), (std::vector<size_t>{4, 4}));
  EXPECT_EQ(Count(svg, "<text"), Count(svg, "</text>"));
  for (const char* label : {">1<", ">4<", ">16<", ">64<", ">producers<", ">throughput (msgs/s)<", ">p99 latency (us)<"})
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  EXPECT_NE(svg.find("put: producers &lt;sweep&gt; &amp; more"), std::string::npos) << "the title is escaped";
  EXPECT_NE(svg.find(">2.5M<"), std::string::npos) << "left axis ticks reach the rounded-up maximum";
  EXPECT_NE(svg.find(">250<"), std::string::npos) << "right axis ticks reach the rounded-up maximum";
}

TEST(SvgPlot, EmptyZeroAndNonFiniteValues) {
  TwoSeriesChart c = Sample();
  c.left.values = {0, 0, 0, 0};
  c.right.values = {NAN, 1, INFINITY, 2};
  const std::string svg = RenderTwoSeriesSvg(c);
  EXPECT_EQ(PolylinePoints(svg), (std::vector<size_t>{4, 4}));
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  TwoSeriesChart none;
  const std::string empty = RenderTwoSeriesSvg(none);
  EXPECT_EQ(empty.rfind("<svg", 0), 0u);
  EXPECT_EQ(PolylinePoints(empty), (std::vector<size_t>{0, 0}));
}

TEST(SvgPlot, NiceAxisAndTicks) {
  EXPECT_EQ(NiceAxis(0).top, 1);
  EXPECT_EQ(NiceAxis(7).top, 8);
  EXPECT_EQ(NiceAxis(7).step, 2);
  EXPECT_EQ(NiceAxis(2.4e6).top, 2.5e6);
  EXPECT_EQ(NiceAxis(100).top, 100);
  EXPECT_EQ(FormatTick(2.5e6), "2.5M");
  EXPECT_EQ(FormatTick(250000), "250k");
  EXPECT_EQ(FormatTick(12), "12");
  EXPECT_EQ(FormatTick(0.5), "0.5");
}

}  // namespace
}  // namespace mqstore::cli
