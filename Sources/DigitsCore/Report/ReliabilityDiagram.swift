import Foundation

/// A reliability diagram as inline SVG: per confidence bin, the accuracy of the answers in
/// it (bars) against the diagonal a perfectly calibrated model would follow; one bar set
/// before temperature scaling (grey) and one after (blue).
struct ReliabilityDiagram {
  var before: [Selective.Bin]
  var after: [Selective.Bin]
  var width = 360.0, height = 300.0

  func svg() -> String {
    let left = 46.0, right = 12.0, top = 14.0, bottom = 40.0
    let plotW = width - left - right, plotH = height - top - bottom
    func px(_ v: Double) -> Double { left + v * plotW }
    func py(_ v: Double) -> Double { top + plotH - v * plotH }
    var s =
      "<svg id=\"reliability-diagram\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\""
    s += " role=\"img\" aria-label=\"Reliability diagram: accuracy against confidence per bin\">"
    s +=
      "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#999\"/>"
    for t in stride(from: 0.0, through: 1.0, by: 0.2) {
      s +=
        "<text x=\"\(f(px(t)))\" y=\"\(f(top + plotH + 14))\" font-size=\"10\" text-anchor=\"middle\">\(f(t, 1))</text>"
      s += "<text x=\"\(f(left - 4))\" y=\"\(f(py(t) + 3))\" font-size=\"10\" text-anchor=\"end\">\(f(t, 1))</text>"
    }
    for (set, colour, offset) in [(before, "#aaa", 0.0), (after, "#2b6cb0", 0.5)] {
      for bin in set where bin.count > 0 {
        let w = (bin.upper - bin.lower) * plotW / 2
        let x = px(bin.lower) + offset * (bin.upper - bin.lower) * plotW
        s +=
          "<rect x=\"\(f(x))\" y=\"\(f(py(bin.accuracy)))\" width=\"\(f(w))\" height=\"\(f(py(0) - py(bin.accuracy)))\" fill=\"\(colour)\">"
        s +=
          "<title>\(f(bin.lower, 1))-\(f(bin.upper, 1)): \(bin.count) answers, confidence \(f(bin.confidence, 3)), accuracy \(f(bin.accuracy, 3))</title></rect>"
      }
    }
    s +=
      "<line x1=\"\(f(px(0)))\" y1=\"\(f(py(0)))\" x2=\"\(f(px(1)))\" y2=\"\(f(py(1)))\" stroke=\"#c53030\" stroke-dasharray=\"4 3\"/>"
    s +=
      "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 6))\" font-size=\"11\" text-anchor=\"middle\">confidence (grey: before, blue: after temperature)</text>"
    s +=
      "<text x=\"12\" y=\"\(f(top + plotH / 2))\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(f(top + plotH / 2)))\">accuracy</text>"
    return s + "</svg>"
  }

  func f(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }
}
