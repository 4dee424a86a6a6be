import DigitsCore

extension Letter {
  /// Capitals in the unit box (x right, y down, 0...1 both ways).
  func capitalStrokes(_ pen: inout PenPath) -> [PenStroke] {
    typealias L = PenPath
    switch character {
    case "A":
      let apex = pen.p(0.5, 0), bar = pen.u(0.55, 0.7)
      let left = pen.p(0.05, 1), right = pen.p(0.95, 1)
      return [
        L.line(left, apex, right),
        L.line(left + (apex - left) * (1 - bar), right + (apex - right) * (1 - bar)),
      ]
    case "B":
      let waist = pen.u(0.45, 0.52)
      let upper = L.arc(SIMD2(0.5, waist / 2), SIMD2(pen.u(0.25, 0.32), waist / 2), from: 1.5 * .pi, to: 2.5 * .pi)
      let lower = L.arc(
        SIMD2(0.55, (1 + waist) / 2), SIMD2(pen.u(0.3, 0.36), (1 - waist) / 2), from: 1.5 * .pi, to: 2.5 * .pi)
      return [
        L.line(pen.p(0.15, 0), pen.p(0.15, 1)),
        L.join(
          L.line(SIMD2(0.15, 0), upper[0]), upper, L.line(upper.last!, SIMD2(0.15, waist), lower[0]), lower,
          L.line(lower.last!, SIMD2(0.15, 1))),
      ]
    case "C":
      return [
        L.arc(pen.p(0.55, 0.5), SIMD2(pen.u(0.38, 0.45), 0.5), from: pen.u(1.7, 1.85) * .pi, to: pen.u(0.15, 0.3) * .pi)
      ]
    case "D":
      let bowl = L.arc(SIMD2(0.2, 0.5), SIMD2(pen.u(0.65, 0.75), 0.5), from: 1.5 * .pi, to: 2.5 * .pi)
      return [L.line(pen.p(0.2, 0), pen.p(0.2, 1)), bowl]
    case "E":
      let middle = pen.u(0.45, 0.55)
      return [
        L.line(pen.p(0.85, 0), pen.p(0.15, 0), pen.p(0.15, 1), pen.p(0.85, 1)),
        L.line(pen.p(0.15, middle), pen.p(pen.u(0.6, 0.8), middle)),
      ]
    case "F":
      let middle = pen.u(0.42, 0.55)
      return [L.line(pen.p(0.85, 0), pen.p(0.2, 0), pen.p(0.2, 1)), L.line(pen.p(0.2, middle), pen.p(0.7, middle))]
    case "G":
      let arc = L.arc(pen.p(0.55, 0.5), SIMD2(pen.u(0.38, 0.45), 0.5), from: pen.u(1.7, 1.8) * .pi, to: 0)
      let spur = pen.chance(0.5) ? [L.line(arc.last!, pen.p(arc.last!.x, 1))] : []
      return [L.join(arc, L.line(arc.last!, pen.p(pen.u(0.5, 0.65), 0.55)))] + spur
    case "H":
      let middle = pen.u(0.42, 0.58)
      return [
        L.line(pen.p(0.12, 0), pen.p(0.12, 1)), L.line(pen.p(0.88, 0), pen.p(0.88, 1)),
        L.line(pen.p(0.12, middle), pen.p(0.88, middle)),
      ]
    case "I":
      let stem = L.line(pen.p(0.5, 0), pen.p(0.5, 1))
      guard pen.chance(0.5) else { return [stem] }
      return [stem, L.line(pen.p(0.25, 0), pen.p(0.75, 0)), L.line(pen.p(0.25, 1), pen.p(0.75, 1))]
    case "J":
      let x = pen.u(0.65, 0.78), r = pen.u(0.22, 0.3)
      let hook = L.arc(SIMD2(x - r, 1 - r), SIMD2(r, r), from: 0, to: pen.u(0.85, 1) * .pi)
      var strokes = [L.join(L.line(pen.p(x, 0), SIMD2(x, 1 - r)), hook)]
      if pen.chance(0.4) { strokes.append(L.line(pen.p(x - 0.35, 0), pen.p(x + 0.2, 0))) }
      return strokes
    case "K":
      let joint = pen.p(0.18, pen.u(0.45, 0.6))
      return [L.line(pen.p(0.18, 0), pen.p(0.18, 1)), L.line(pen.p(0.85, 0), joint, pen.p(0.9, 1))]
    case "L":
      return [L.line(pen.p(0.2, 0), pen.p(0.2, 1), pen.p(pen.u(0.75, 0.9), 1))]
    case "M":
      let depth = pen.u(0.5, 0.95), spread = pen.u(0, 0.08)
      return [L.line(pen.p(0.05 - spread, 1), pen.p(0.1, 0), pen.p(0.5, depth), pen.p(0.9, 0), pen.p(0.95 + spread, 1))]
    case "N":
      return [L.line(pen.p(0.12, 1), pen.p(0.12, 0), pen.p(0.88, 1), pen.p(0.88, 0))]
    case "O":
      let start = pen.u(1.3, 1.6) * .pi
      return [L.arc(pen.p(0.5, 0.5), SIMD2(pen.u(0.36, 0.45), 0.5), from: start, to: start + 2 * .pi + pen.u(0, 0.3))]
    case "P", "R":
      let height = pen.u(0.45, 0.58)
      let bowl = L.arc(SIMD2(0.45, height / 2), SIMD2(pen.u(0.3, 0.38), height / 2), from: 1.5 * .pi, to: 2.5 * .pi)
      let closed = L.join(L.line(pen.p(0.15, 0), bowl[0]), bowl, L.line(bowl.last!, pen.p(0.15, height)))
      var strokes = [L.line(pen.p(0.15, 0), pen.p(0.15, 1)), closed]
      if character == "R" { strokes.append(L.line(pen.p(pen.u(0.3, 0.5), height), pen.p(0.9, 1))) }
      return strokes
    case "Q":
      let ring = L.arc(pen.p(0.5, 0.5), SIMD2(pen.u(0.38, 0.45), 0.5), from: 1.5 * .pi, to: 3.6 * .pi)
      return [ring, L.line(pen.p(pen.u(0.5, 0.65), pen.u(0.65, 0.75)), pen.p(0.95, 1.05))]
    case "S":
      return [Self.sCurve(&pen, top: 0, bottom: 1)]
    case "T":
      let x = pen.u(0.45, 0.55)
      return [L.line(pen.p(0.05, 0), pen.p(0.95, 0)), L.line(pen.p(x, 0), pen.p(x, 1))]
    case "U":
      let r = pen.u(0.3, 0.4), bottom = pen.u(0.55, 0.7)
      let cup = L.arc(SIMD2(0.5, bottom), SIMD2(r, 1 - bottom), from: .pi, to: 0)
      var strokes = [L.join(L.line(pen.p(0.5 - r, 0), cup[0]), cup, L.line(cup.last!, pen.p(0.5 + r, 0)))]
      if pen.chance(0.3) { strokes.append(L.line(pen.p(0.5 + r, 0), pen.p(0.5 + r, 1))) }
      return strokes
    case "V":
      return [L.line(pen.p(0.05, 0), pen.p(pen.u(0.45, 0.55), 1), pen.p(0.95, 0))]
    case "W":
      let middle = pen.u(0.2, 0.5)
      return [L.line(pen.p(0, 0), pen.p(0.25, 1), pen.p(0.5, middle), pen.p(0.75, 1), pen.p(1, 0))]
    case "X":
      return [L.line(pen.p(0.1, 0), pen.p(0.9, 1)), L.line(pen.p(0.9, 0), pen.p(0.1, 1))]
    case "Y":
      let fork = pen.p(0.5, pen.u(0.4, 0.55))
      return [L.line(pen.p(0.08, 0), fork, pen.p(0.92, 0)), L.line(fork, pen.p(0.5, 1))]
    default:  // "Z"
      var strokes = [L.line(pen.p(0.1, 0), pen.p(0.9, 0), pen.p(0.1, 1), pen.p(0.9, 1))]
      if pen.chance(0.3) { strokes.append(L.line(pen.p(0.3, 0.5), pen.p(0.7, 0.5))) }
      return strokes
    }
  }

  /// An S between `top` and `bottom`: the upper bowl turning left, the lower one right.
  static func sCurve(_ pen: inout PenPath, top: Float, bottom: Float) -> PenStroke {
    let middle = top + (bottom - top) * pen.u(0.45, 0.52)
    let upper = SIMD2(pen.u(0.3, 0.36), (middle - top) / 2), lower = SIMD2(pen.u(0.33, 0.4), (bottom - middle) / 2)
    return PenPath.join(
      PenPath.arc(SIMD2(0.5, top + upper.y), upper, from: pen.u(1.8, 1.95) * .pi, to: 0.5 * .pi),
      PenPath.arc(SIMD2(0.5, middle + lower.y), lower, from: 1.5 * .pi, to: pen.u(2.75, 2.9) * .pi))
  }
}
