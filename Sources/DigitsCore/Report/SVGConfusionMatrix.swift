import Foundation

/// The confusion matrix as an SVG heat map with the count in every cell. Rows are true
/// classes, columns predicted ones. Diagonal cells are blue by recall; off-diagonal cells
/// red by their count relative to the largest confusion (square root, so small but real
/// confusions still show), so the worst mix-ups stand out however good the model is.
struct SVGConfusionMatrix {
  var id = "confusion-matrix"
  var confusion: [[Int]]
  var classNames: [String]

  /// Side of a cell: 46 px up to 12 classes, smaller beyond so the whole matrix stays about
  /// 550 px wide (never under 12 px: 62 classes are 744 px).
  static func cellSide(classes k: Int) -> Double { k <= 12 ? 46 : max(12, (46.0 * 12 / Double(k)).rounded()) }
  /// Cells smaller than this show their count in the tooltip only.
  static let smallestCellWithCount = 30.0

  func svg() -> String {
    let k = confusion.count
    let cell = Self.cellSide(classes: k)
    let showCounts = cell >= Self.smallestCellWithCount
    let longest = Double(classNames.map(\.count).max() ?? 1)
    let rotate = longest > 3 || k > 12
    let labelRoom = 16 + longest * 7.2
    let left = 34 + labelRoom, top = 30 + (rotate ? labelRoom * 0.72 : 18)
    // Labels at -45 degrees reach right of the last column by about their length times cos 45.
    let width = left + cell * Double(k) + (rotate ? max(12, labelRoom * 0.72 - cell / 2) : 12)
    let height = top + cell * Double(k) + 14
    let maxOff = max(1, (0..<k).flatMap { i in (0..<k).filter { $0 != i }.map { confusion[i][$0] } }.max() ?? 0)
    let c = HTML.coord

    var s =
      #"<svg id="\#(id)" class="matrix" viewBox="0 0 \#(c(width)) \#(c(height))" width="\#(c(width))" role="img" aria-label="confusion matrix" xmlns="http://www.w3.org/2000/svg">"#
    s +=
      #"<text class="axis-label" x="\#(c(left + cell * Double(k) / 2))" y="16" text-anchor="middle">predicted class</text>"#
    s +=
      #"<text class="axis-label" transform="translate(16 \#(c(top + cell * Double(k) / 2))) rotate(-90)" text-anchor="middle">true class</text>"#
    for (j, name) in classNames.enumerated() {
      let x = left + cell * (Double(j) + 0.5)
      if rotate {
        s +=
          #"<text class="tick" transform="translate(\#(c(x)) \#(c(top - 6))) rotate(-45)">\#(HTML.escape(name))</text>"#
      } else {
        s += #"<text class="tick" x="\#(c(x))" y="\#(c(top - 8))" text-anchor="middle">\#(HTML.escape(name))</text>"#
      }
    }
    for (i, row) in confusion.enumerated() {
      let y = top + cell * Double(i)
      let support = row.reduce(0, +)
      s +=
        #"<text class="tick" x="\#(c(left - 8))" y="\#(c(y + cell / 2 + 4))" text-anchor="end">\#(HTML.escape(classNames[i]))</text>"#
      for (j, count) in row.enumerated() {
        let x = left + cell * Double(j)
        let t: Double
        let color: String
        if i == j {
          t = support > 0 ? Double(count) / Double(support) : 0
          color = Self.mix(t, to: (29, 78, 216))
        } else {
          t = count > 0 ? 0.12 + 0.88 * (Double(count) / Double(maxOff)).squareRoot() : 0
          color = Self.mix(t, to: (220, 38, 38))
        }
        let share = support > 0 ? String(format: "%.2f%%", Double(count) / Double(support) * 100) : "-"
        let tip = "true \(classNames[i]), predicted \(classNames[j]): \(count) (\(share) of true \(classNames[i]))"
        s += #"<g class="cell" data-row="\#(i)" data-column="\#(j)"><title>\#(HTML.escape(tip))</title>"#
        s +=
          #"<rect x="\#(c(x))" y="\#(c(y))" width="\#(c(cell - 2))" height="\#(c(cell - 2))" rx="3" fill="\#(color)"/>"#
        let ink = t > 0.55 ? "#ffffff" : (count == 0 ? "#b8bec8" : "#1f2937")
        if showCounts {
          s +=
            #"<text x="\#(c(x + cell / 2 - 1))" y="\#(c(y + cell / 2 + 4))" text-anchor="middle" fill="\#(ink)" class="count">\#(count)</text>"#
        }
        s += "</g>"
      }
    }
    return s + "</svg>"
  }

  /// `t` of the way from a pale grey to `rgb`, as #rrggbb.
  static func mix(_ t: Double, to rgb: (Int, Int, Int)) -> String {
    let base = (246.0, 247.0, 249.0)
    let t = min(1, max(0, t))
    let r = base.0 + (Double(rgb.0) - base.0) * t
    let g = base.1 + (Double(rgb.1) - base.1) * t
    let b = base.2 + (Double(rgb.2) - base.2) * t
    return String(format: "#%02x%02x%02x", Int(r.rounded()), Int(g.rounded()), Int(b.rounded()))
  }
}
