import DigitsCore
import Foundation

/// Drawings that are not digits, for measuring how often the model says "not sure" to them:
/// capital letters that look like no digit, simple shapes, and scribbles. Drawn with the
/// same pen, slant and layout as the digits, so only the shape differs.
public enum NotADigit: String, CaseIterable, Sendable {
  case letters, shapes, scribbles

  /// Letters chosen unlike any digit (no O, I, S, Z, B, G, L, T, Q, D).
  static let letterNames = ["A", "E", "F", "H", "K", "M", "N", "R", "W", "X", "Y"]

  func strokes(_ pen: inout PenPath) -> [PenStroke] {
    typealias L = PenPath
    switch self {
    case .letters:
      switch Self.letterNames[Int(pen.rng.next() % UInt64(Self.letterNames.count))] {
      case "A":
        return [L.line(pen.p(0.05, 1), pen.p(0.5, 0), pen.p(0.95, 1)), L.line(pen.p(0.25, 0.6), pen.p(0.75, 0.6))]
      case "E":
        return [
          L.line(pen.p(0.85, 0), pen.p(0.15, 0), pen.p(0.15, 1), pen.p(0.85, 1)),
          L.line(pen.p(0.15, 0.5), pen.p(0.7, 0.5)),
        ]
      case "F":
        return [L.line(pen.p(0.85, 0), pen.p(0.15, 0), pen.p(0.15, 1)), L.line(pen.p(0.15, 0.5), pen.p(0.7, 0.5))]
      case "H":
        return [
          L.line(pen.p(0.1, 0), pen.p(0.1, 1)), L.line(pen.p(0.9, 0), pen.p(0.9, 1)),
          L.line(pen.p(0.1, 0.5), pen.p(0.9, 0.5)),
        ]
      case "K":
        return [L.line(pen.p(0.15, 0), pen.p(0.15, 1)), L.line(pen.p(0.85, 0), pen.p(0.15, 0.55), pen.p(0.9, 1))]
      case "M": return [L.line(pen.p(0.05, 1), pen.p(0.1, 0), pen.p(0.5, 0.6), pen.p(0.9, 0), pen.p(0.95, 1))]
      case "N": return [L.line(pen.p(0.1, 1), pen.p(0.1, 0), pen.p(0.9, 1), pen.p(0.9, 0))]
      case "R":
        return [
          L.join(
            L.line(pen.p(0.15, 1), pen.p(0.15, 0)),
            L.arc(SIMD2(0.45, 0.25), SIMD2(0.35, 0.25), from: 1.5 * .pi, to: 2.5 * .pi),
            L.line(pen.p(0.15, 0.5), pen.p(0.9, 1)))
        ]
      case "W": return [L.line(pen.p(0, 0), pen.p(0.25, 1), pen.p(0.5, 0.35), pen.p(0.75, 1), pen.p(1, 0))]
      case "X": return [L.line(pen.p(0.1, 0), pen.p(0.9, 1)), L.line(pen.p(0.9, 0), pen.p(0.1, 1))]
      default: return [L.line(pen.p(0.1, 0), pen.p(0.5, 0.5), pen.p(0.9, 0)), L.line(pen.p(0.5, 0.5), pen.p(0.5, 1))]
      }
    case .shapes:
      switch pen.rng.next() % 5 {
      case 0: return [L.line(pen.p(0.5, 0), pen.p(1, 1), pen.p(0, 1), pen.p(0.5, 0))]
      case 1: return [L.line(pen.p(0, 0.1), pen.p(1, 0.1), pen.p(1, 0.9), pen.p(0, 0.9), pen.p(0, 0.1))]
      case 2:
        let star = (0...5).map { k -> SIMD2<Float> in
          let a = -Float.pi / 2 + Float(k * 2 % 5) * 2 * .pi / 5
          return SIMD2(0.5 + 0.5 * cos(a), 0.5 + 0.5 * sin(a))
        }
        return [star.dropFirst().reduce(into: [star[0]]) { $0 += L.line($0.last!, $1).dropFirst() }]
      case 3:
        let spiral = (0...60).map { i -> SIMD2<Float> in
          let t = Float(i) / 60, a = t * 5 * .pi
          return SIMD2(0.5 + 0.5 * t * cos(a), 0.5 + 0.5 * t * sin(a))
        }
        return [spiral]
      default:
        return [
          L.arc(SIMD2(0.5, 0.5), SIMD2(0.5, 0.5), from: 0, to: 2 * .pi),
          L.line(pen.p(0.15, 0.15), pen.p(0.85, 0.85)), L.line(pen.p(0.85, 0.15), pen.p(0.15, 0.85)),
        ]
      }
    case .scribbles:
      var points = [SIMD2<Float>(pen.u(0, 1), pen.u(0, 1))]
      for _ in 0..<(5 + Int(pen.rng.next() % 8)) { points.append(SIMD2(pen.u(0, 1), pen.u(0, 1))) }
      // Corners cut (Chaikin, twice): a quick hand, not a polygon.
      for _ in 0..<2 {
        var smooth: PenStroke = [points[0]]
        for (a, b) in zip(points, points.dropFirst()) { smooth += [a * 0.75 + b * 0.25, a * 0.25 + b * 0.75] }
        points = smooth + [points.last!]
      }
      return [points]
    }
  }

  /// `count` drawings of this kind, 784 values each (ink 1 on 0), in the style test's style.
  public func drawings(count: Int, seed: UInt64, style: HandwritingStyle = .styleTest) -> [Float] {
    let generator = HandwritingGenerator(style: style)
    var rng = SeededGenerator(seed: seed)
    var out: [Float] = []
    out.reserveCapacity(count * MNISTShape.pixels)
    for _ in 0..<count {
      var pen = PenPath(rng: SeededGenerator(seed: rng.next()), wobble: style.wobble)
      out += generator.render(strokes(&pen), rng: &rng)
    }
    return out
  }
}
