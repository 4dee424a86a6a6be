import Foundation

/// A line chart of per-epoch values as inline SVG: axes with round-number ticks, one
/// polyline with point markers per series (missing values break nothing, they are skipped),
/// a legend, and a `<title>` tooltip on every point. NaN, infinite and absurd values
/// (beyond `plotLimit`) are left out of the chart, and a line under it says how many.
struct SVGLineChart {
  struct Series {
    var name: String
    var values: [Double?]
    var color: String
    var dashed = false
  }

  var id: String
  var title: String
  /// The x value of each index, e.g. epoch numbers.
  var x: [Int]
  var series: [Series]
  /// Axis and tooltip text of a y value.
  var format: (Double) -> String
  /// Fixed y bounds when set (e.g. 1.0 for accuracy); otherwise from the data.
  var yCeiling: Double? = nil
  var yFloor: Double? = nil

  /// Largest magnitude plotted: far beyond any loss or accuracy, small enough that the axis
  /// arithmetic (hi - lo, ticks, coordinates) stays finite and fits an Int.
  static let plotLimit = 1e12

  static func plottable(_ v: Double) -> Bool { v.isFinite && abs(v) <= plotLimit }

  let width = 480.0, height = 300.0
  let left = 60.0, right = 18.0, top = 40.0, bottom = 46.0

  func svg() -> String {
    let plotW = width - left - right, plotH = height - top - bottom
    let present = series.flatMap { $0.values.compactMap { $0 } }
    let all = present.filter(Self.plottable)
    let leftOut = present.count - all.count
    var lo = min(all.min() ?? 0, yFloor ?? .infinity), hi = max(all.max() ?? 1, yCeiling ?? -.infinity)
    if let yFloor { lo = max(lo, yFloor) }
    if let yCeiling { hi = min(hi, yCeiling) }
    let ticks = Self.niceTicks(lo: lo, hi: hi)
    let (y0, y1) = (ticks.first!, ticks.last!)
    let xMin = Double(x.first ?? 1), xMax = Double(x.last ?? 1)
    func px(_ v: Double) -> Double { xMax > xMin ? left + (v - xMin) / (xMax - xMin) * plotW : left + plotW / 2 }
    func py(_ v: Double) -> Double { top + plotH - (v - y0) / (y1 - y0) * plotH }
    let c = HTML.coord

    var s =
      #"<svg id="\#(id)" class="chart" viewBox="0 0 \#(c(width)) \#(c(height))" role="img" aria-label="\#(HTML.escape(title))" xmlns="http://www.w3.org/2000/svg">"#
    s += #"<text class="chart-title" x="\#(c(left))" y="22">\#(HTML.escape(title))</text>"#
    // Grid and y ticks.
    for t in ticks {
      s += #"<line class="gridline" x1="\#(c(left))" x2="\#(c(left + plotW))" y1="\#(c(py(t)))" y2="\#(c(py(t)))"/>"#
      s +=
        #"<text class="tick" x="\#(c(left - 8))" y="\#(c(py(t) + 4))" text-anchor="end">\#(HTML.escape(format(t)))</text>"#
    }
    // X ticks: every epoch, or about ten of them.
    let every = max(1, Int((Double(x.count) / 10).rounded(.up)))
    for (i, e) in x.enumerated() where i % every == 0 || i == x.count - 1 {
      let xp = px(Double(e))
      s += #"<line class="axis" x1="\#(c(xp))" x2="\#(c(xp))" y1="\#(c(top + plotH))" y2="\#(c(top + plotH + 5))"/>"#
      s += #"<text class="tick" x="\#(c(xp))" y="\#(c(top + plotH + 19))" text-anchor="middle">\#(e)</text>"#
    }
    s +=
      #"<line class="axis" x1="\#(c(left))" x2="\#(c(left + plotW))" y1="\#(c(top + plotH))" y2="\#(c(top + plotH))"/>"#
    s += #"<line class="axis" x1="\#(c(left))" x2="\#(c(left))" y1="\#(c(top))" y2="\#(c(top + plotH))"/>"#
    s +=
      #"<text class="axis-label" x="\#(c(left + plotW / 2))" y="\#(c(height - 8))" text-anchor="middle">epoch</text>"#

    for (n, line) in series.enumerated() {
      let points = zip(x, line.values).compactMap { e, v in v.flatMap { Self.plottable($0) ? (e, $0) : nil } }
      guard !points.isEmpty else { continue }
      let dash = line.dashed ? #" stroke-dasharray="6 4""# : ""
      let coords = points.map { "\(c(px(Double($0.0)))),\(c(py($0.1)))" }.joined(separator: " ")
      s += #"<g class="series" data-series="\#(HTML.escape(line.name))">"#
      s += #"<polyline fill="none" stroke="\#(line.color)" stroke-width="2.2"\#(dash) points="\#(coords)"/>"#
      for (e, v) in points {
        s += #"<circle cx="\#(c(px(Double(e))))" cy="\#(c(py(v)))" r="3.4" fill="\#(line.color)">"#
        s += "<title>epoch \(e) \(HTML.escape(line.name)): \(HTML.escape(format(v)))</title></circle>"
      }
      s += "</g>"
      // Legend, top right, one entry per series.
      let lx = left + plotW - 150 + Double(n % 2) * 80
      s +=
        #"<line x1="\#(c(lx))" x2="\#(c(lx + 18))" y1="18" y2="18" stroke="\#(line.color)" stroke-width="2.2"\#(dash)/>"#
      s += #"<text class="legend" x="\#(c(lx + 23))" y="22">\#(HTML.escape(line.name))</text>"#
    }
    if leftOut > 0 {
      let what = leftOut == 1 ? "1 value" : "\(leftOut) values"
      s +=
        #"<text class="empty left-out" x="\#(c(left + plotW / 2))" y="\#(c(height - 24))" text-anchor="middle">\#(what) left out: NaN, infinite or beyond ±1e12</text>"#
    }
    if all.isEmpty && leftOut == 0 {
      s +=
        #"<text class="empty" x="\#(c(left + plotW / 2))" y="\#(c(top + plotH / 2))" text-anchor="middle">no history in the model file</text>"#
    }
    return s + "</svg>"
  }

  /// Round-number ticks (steps of 1, 2 or 5 times a power of ten) covering lo...hi.
  static func niceTicks(lo: Double, hi: Double, count: Int = 5) -> [Double] {
    guard lo.isFinite, hi.isFinite, abs(lo) <= plotLimit, abs(hi) <= plotLimit else { return [0, 1] }
    var lo = lo, hi = hi
    if !(hi > lo) {
      let pad = lo == 0 ? 1 : abs(lo) * 0.05
      lo -= pad
      hi += pad
    }
    let rough = (hi - lo) / Double(count)
    let magnitude = pow(10, (log10(rough)).rounded(.down))
    let residual = rough / magnitude
    let step = (residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10) * magnitude
    let first = (lo / step + 1e-9).rounded(.down) * step
    let last = (hi / step - 1e-9).rounded(.up) * step
    let n = Int(((last - first) / step).rounded())
    return (0...max(1, n)).map { first + Double($0) * step }
  }
}
