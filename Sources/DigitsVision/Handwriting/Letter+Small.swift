import DigitsCore

extension Letter {
  /// Top of the small letters without ascenders, and the lowest point of descenders.
  static let xHeight: Float = 0.45
  static let descender: Float = 1.45

  /// Small letters on the baseline y = 1 (see `Letter`).
  func smallStrokes(_ pen: inout PenPath) -> [PenStroke] {
    typealias L = PenPath
    let top = Self.xHeight
    switch character {
    case "a":
      guard pen.chance(0.35) else { return [Self.bowl(&pen, x: 0.45), L.line(pen.p(0.75, top), pen.p(0.76, 1))] }
      // Double-storey: a hook over the stem, a small bowl against it.
      let hook = L.arc(SIMD2(0.47, top + 0.15), SIMD2(0.26, 0.15), from: 1.1 * .pi, to: 2 * .pi)
      let bowl = L.arc(SIMD2(0.47, 0.83), SIMD2(0.26, 0.17), from: 1.95 * .pi, to: 3.9 * .pi)
      return [L.join(hook, L.line(hook.last!, pen.p(0.74, 1))), bowl]
    case "b":
      return [L.line(pen.p(0.22, 0), pen.p(0.22, 1)), Self.bowl(&pen, x: 0.52)]
    case "c":
      return [
        L.arc(
          pen.p(0.5, (top + 1) / 2), SIMD2(pen.u(0.28, 0.34), (1 - top) / 2), from: pen.u(1.7, 1.85) * .pi,
          to: pen.u(0.15, 0.3) * .pi)
      ]
    case "d":
      return [Self.bowl(&pen, x: 0.45), L.line(pen.p(0.76, 0), pen.p(0.76, 1))]
    case "e":
      let r = SIMD2(pen.u(0.28, 0.34), (1 - top) / 2), centre = SIMD2<Float>(0.5, (top + 1) / 2)
      let bar = L.line(centre - SIMD2(r.x, 0), centre + SIMD2(r.x, 0))
      return [L.join(bar, L.arc(centre, r, from: 2 * .pi, to: pen.u(0.25, 0.4) * .pi))]
    case "f":
      let x = pen.u(0.4, 0.48)
      let hook = L.arc(SIMD2(x + 0.2, 0.15), SIMD2(0.2, 0.15), from: 1.9 * .pi, to: .pi)
      return [L.join(hook, L.line(hook.last!, pen.p(x, 1))), L.line(pen.p(x - 0.22, top), pen.p(x + 0.25, top))]
    case "g", "q":
      let r = pen.u(0.2, 0.28)
      let stem = L.line(pen.p(0.75, top), SIMD2(0.75, Self.descender - r))
      let tail =
        character == "g"
        ? L.arc(SIMD2(0.75 - r, Self.descender - r), SIMD2(r, r), from: 0, to: pen.u(0.8, 1) * .pi)
        : L.line(SIMD2(0.75, Self.descender - r), pen.p(0.78, Self.descender))
      return [Self.bowl(&pen, x: 0.45), L.join(stem, tail)]
    case "h", "n", "m":
      let stemTop = character == "h" ? 0 : top
      var strokes = [L.line(pen.p(0.15, stemTop), pen.p(0.15, 1))]
      let arches = character == "m" ? 2 : 1
      let width = 0.7 / Float(arches)
      for k in 0..<arches {
        let left = 0.15 + width * Float(k)
        let arch = L.arc(SIMD2(left + width / 2, top + 0.17), SIMD2(width / 2, 0.15), from: .pi, to: 2 * .pi)
        strokes.append(L.join(arch, L.line(arch.last!, pen.p(left + width, 1))))
      }
      return strokes
    case "i", "j":
      let x = pen.u(0.45, 0.55)
      let dot = L.line(pen.p(x, top - 0.2), SIMD2(x, top - 0.16))
      guard character == "j" else { return [L.line(pen.p(x, top), pen.p(x, 1)), dot] }
      let r = pen.u(0.18, 0.25)
      let hook = L.arc(SIMD2(x - r, Self.descender - r), SIMD2(r, r), from: 0, to: pen.u(0.8, 1) * .pi)
      return [L.join(L.line(pen.p(x, top), SIMD2(x, Self.descender - r)), hook), dot]
    case "k":
      let joint = pen.p(0.22, pen.u(0.68, 0.78))
      return [L.line(pen.p(0.22, 0), pen.p(0.22, 1)), L.line(pen.p(0.75, top), joint, pen.p(0.8, 1))]
    case "l":
      let stem = L.line(pen.p(0.45, 0), SIMD2(0.45, 0.88))
      guard pen.chance(0.4) else { return [L.line(pen.p(0.5, 0), pen.p(0.5, 1))] }
      return [L.join(stem, L.arc(SIMD2(0.58, 0.88), SIMD2(0.13, 0.12), from: .pi, to: 0.4 * .pi))]
    case "o":
      let start = pen.u(1.3, 1.6) * .pi
      return [
        L.arc(
          pen.p(0.5, (top + 1) / 2), SIMD2(pen.u(0.28, 0.36), (1 - top) / 2), from: start,
          to: start + 2 * .pi + pen.u(0, 0.3))
      ]
    case "p":
      return [L.line(pen.p(0.22, top), pen.p(0.22, Self.descender)), Self.bowl(&pen, x: 0.52)]
    case "r":
      let arm = L.arc(SIMD2(0.5, top + 0.15), SIMD2(0.25, 0.15), from: .pi, to: pen.u(1.7, 1.9) * .pi)
      return [L.line(pen.p(0.25, top), pen.p(0.25, 1)), arm]
    case "s":
      return [Self.sCurve(&pen, top: top, bottom: 1)]
    case "t":
      let x = pen.u(0.42, 0.5)
      let foot = L.arc(SIMD2(x + 0.15, 0.88), SIMD2(0.15, 0.12), from: .pi, to: 0.4 * .pi)
      return [L.join(L.line(pen.p(x, 0.1), SIMD2(x, 0.88)), foot), L.line(pen.p(x - 0.25, top), pen.p(x + 0.3, top))]
    case "u":
      let cup = L.arc(SIMD2(0.47, 0.78), SIMD2(0.27, 0.22), from: .pi, to: 0)
      return [
        L.join(L.line(pen.p(0.2, top), cup[0]), cup, L.line(cup.last!, pen.p(0.74, top))),
        L.line(pen.p(0.76, top), pen.p(0.76, 1)),
      ]
    case "v":
      return [L.line(pen.p(0.1, top), pen.p(0.5, 1), pen.p(0.9, top))]
    case "w":
      return [L.line(pen.p(0, top), pen.p(0.25, 1), pen.p(0.5, top + 0.15), pen.p(0.75, 1), pen.p(1, top))]
    case "x":
      return [L.line(pen.p(0.15, top), pen.p(0.85, 1)), L.line(pen.p(0.85, top), pen.p(0.15, 1))]
    case "y":
      let fork = pen.p(0.52, 1)
      return [L.line(pen.p(0.12, top), fork), L.line(pen.p(0.9, top), fork, pen.p(0.3, Self.descender))]
    default:  // "z"
      return [L.line(pen.p(0.15, top), pen.p(0.85, top), pen.p(0.15, 1), pen.p(0.85, 1))]
    }
  }

  /// The round body of a, b, d, g, p, q between the x-height and the baseline, centred on `x`.
  static func bowl(_ pen: inout PenPath, x: Float) -> PenStroke {
    let r = SIMD2(pen.u(0.24, 0.3), (1 - xHeight) / 2)
    let start = pen.u(1.8, 2) * .pi
    return PenPath.arc(pen.p(x, xHeight + r.y), r, from: start, to: start + 2 * .pi)
  }
}
