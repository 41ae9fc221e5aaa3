// The two-series SVG line chart (svg_plot.h): layout, axes, ticks, lines
// and legend, written as plain text.
#include "tools/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mqstore::cli {
namespace {

constexpr double kMarginLeft = 80, kMarginRight = 80, kMarginTop = 60, kMarginBottom = 70;
constexpr const char* kLeftColor = "#1f5fbf";
constexpr const char* kRightColor = "#c8322d";

struct Frame {
  double left, right, top, bottom;  // the plot area in pixels
  double width() const { return right - left; }
  double height() const { return bottom - top; }
};

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Text(double x, double y, const std::string& anchor, const std::string& body,
                 const std::string& extra = "") {
  return "<text x=\"" + Fmt(x) + "\" y=\"" + Fmt(y) + "\" text-anchor=\"" + anchor + "\"" + extra + ">" +
         Escape(body) + "</text>\n";
}

std::string Line(double x1, double y1, double x2, double y2, const std::string& style) {
  return "<line x1=\"" + Fmt(x1) + "\" y1=\"" + Fmt(y1) + "\" x2=\"" + Fmt(x2) + "\" y2=\"" + Fmt(y2) + "\" " +
         style + "/>\n";
}

double Finite(double v) { return std::isfinite(v) ? v : 0.0; }

double MaxOf(const std::vector<double>& values) {
  double m = 0;
  for (const double v : values) m = std::max(m, Finite(v));
  return m;
}

double XAt(const Frame& f, size_t i, size_t n) {
  return f.left + (static_cast<double>(i) + 0.5) * f.width() / static_cast<double>(std::max<size_t>(n, 1));
}

double YAt(const Frame& f, double v, const AxisScale& s) { return f.bottom - f.height() * Finite(v) / s.top; }

// Grid lines (left axis only), tick marks and values of one y axis.
std::string YAxis(const Frame& f, const AxisScale& s, bool left, const ChartSeries& series, const char* color) {
  std::string out;
  const double x = left ? f.left : f.right;
  out += Line(x, f.top, x, f.bottom, std::string("stroke=\"") + color + "\"");
  for (double v = 0; v <= s.top + s.step / 2; v += s.step) {
    const double y = YAt(f, v, s);
    if (left) out += Line(f.left, y, f.right, y, "stroke=\"#e0e0e0\"");
    out += Line(x, y, left ? x - 5 : x + 5, y, std::string("stroke=\"") + color + "\"");
    out += Text(left ? x - 8 : x + 8, y + 4, left ? "end" : "start", FormatTick(v),
                std::string(" fill=\"") + color + "\"");
  }
  const double tx = left ? 18 : f.right + kMarginRight - 14;
  const double ty = (f.top + f.bottom) / 2;
  out += Text(tx, ty, "middle", series.name,
              std::string(" fill=\"") + color + "\" transform=\"rotate(-90 " + Fmt(tx) + " " + Fmt(ty) + ")\"");
  return out;
}

std::string XAxis(const Frame& f, const TwoSeriesChart& c) {
  std::string out = Line(f.left, f.bottom, f.right, f.bottom, "stroke=\"#333\"");
  const size_t n = c.x_labels.size();
  for (size_t i = 0; i < n; ++i) {
    const double x = XAt(f, i, n);
    out += Line(x, f.bottom, x, f.bottom + 5, "stroke=\"#333\"");
    out += Text(x, f.bottom + 20, "middle", c.x_labels[i]);
  }
  out += Text((f.left + f.right) / 2, f.bottom + 48, "middle", c.x_title);
  return out;
}

std::string Series(const Frame& f, const ChartSeries& s, const AxisScale& scale, size_t n, const char* color) {
  std::string points;
  std::string dots;
  for (size_t i = 0; i < n; ++i) {
    const double v = i < s.values.size() ? s.values[i] : 0.0;
    const std::string xy = Fmt(XAt(f, i, n)) + "," + Fmt(YAt(f, v, scale));
    points += (i ? " " : "") + xy;
    dots += "<circle cx=\"" + Fmt(XAt(f, i, n)) + "\" cy=\"" + Fmt(YAt(f, v, scale)) + "\" r=\"3\" fill=\"" + color +
            "\"/>\n";
  }
  return "<polyline fill=\"none\" stroke=\"" + std::string(color) + "\" stroke-width=\"2\" points=\"" + points +
         "\"/>\n" + dots;
}

std::string Legend(const Frame& f, const TwoSeriesChart& c) {
  std::string out;
  const double y = f.top - 14;
  double x = f.left;
  for (const auto& [series, color] : {std::pair{&c.left, kLeftColor}, std::pair{&c.right, kRightColor}}) {
    out += Line(x, y - 4, x + 24, y - 4, std::string("stroke=\"") + color + "\" stroke-width=\"2\"");
    out += Text(x + 30, y, "start", series->name);
    x += 40 + 8.0 * static_cast<double>(series->name.size()) + 20;
  }
  return out;
}

}  // namespace

AxisScale NiceAxis(double max, int ticks) {
  if (!(max > 0) || !std::isfinite(max)) return {};
  const double raw = max / std::max(ticks, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude * 10;
  for (const double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * magnitude) {
      step = m * magnitude;
      break;
    }
  return {std::ceil(max / step - 1e-9) * step, step};
}

std::string FormatTick(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a >= 1e9) std::snprintf(buf, sizeof buf, "%gG", v / 1e9);
  else if (a >= 1e6) std::snprintf(buf, sizeof buf, "%gM", v / 1e6);
  else if (a >= 1e3) std::snprintf(buf, sizeof buf, "%gk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string RenderTwoSeriesSvg(const TwoSeriesChart& c) {
  const Frame f{kMarginLeft, c.width - kMarginRight, kMarginTop, c.height - kMarginBottom};
  const AxisScale left = NiceAxis(MaxOf(c.left.values));
  const AxisScale right = NiceAxis(MaxOf(c.right.values));
  const size_t n = c.x_labels.size();
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(c.width) +
                    "\" height=\"" + std::to_string(c.height) + "\" viewBox=\"0 0 " + std::to_string(c.width) + " " +
                    std::to_string(c.height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  out += Text(c.width / 2.0, 22, "middle", c.title, " font-size=\"15\" font-weight=\"bold\"");
  out += YAxis(f, left, true, c.left, kLeftColor);
  out += YAxis(f, right, false, c.right, kRightColor);
  out += XAxis(f, c);
  out += Series(f, c.left, left, n, kLeftColor);
  out += Series(f, c.right, right, n, kRightColor);
  out += Legend(f, c);
  return out + "</svg>\n";
}

}  // namespace mqstore::cli
