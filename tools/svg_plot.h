// A two-series line chart written as a standalone SVG document (no
// dependency): a categorical x axis (labels evenly spaced), one series on a
// left y axis and one on a right y axis, each axis from 0 to a rounded-up
// maximum with tick values, a title and a legend. `mqstore bench --plot`
// uses it for throughput and p99 latency over a sweep.
//
//   TwoSeriesChart c;
//   c.title = "put: producers sweep";
//   c.x_title = "producers";
//   c.x_labels = {"1", "4", "16"};
//   c.left = {"msgs/s", {1e6, 2e6, 2.5e6}};
//   c.right = {"p99 us", {3, 9, 40}};
//   std::string svg = RenderTwoSeriesSvg(c);
#pragma once

#include <string>
#include <vector>

namespace mqstore::cli {

struct ChartSeries {
  std::string name;            // legend text and axis title
  std::vector<double> values;  // one per x label; non-finite values are drawn as 0
};

struct TwoSeriesChart {
  std::string title;
  std::string x_title;
  std::vector<std::string> x_labels;
  ChartSeries left;   // drawn in blue against the left axis
  ChartSeries right;  // drawn in red against the right axis
  int width = 800;
  int height = 480;
};

// The SVG document, starting "<svg" and ending "</svg>\n". Each series is
// one <polyline> with one point per x label.
std::string RenderTwoSeriesSvg(const TwoSeriesChart& chart);

// The upper end and step of an axis from 0 covering `max` in about
// `ticks` steps of 1, 2 or 5 times a power of ten (max <= 0 gives 1).
struct AxisScale {
  double top = 1;
  double step = 1;
};
AxisScale NiceAxis(double max, int ticks = 5);

// "1.5M", "250k", "12", "0.5": a short tick label.
std::string FormatTick(double v);

}  // namespace mqstore::cli
