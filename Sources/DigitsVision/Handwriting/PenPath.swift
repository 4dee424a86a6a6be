import DigitsCore
import Foundation

/// A pen stroke: points in the digit's unit box (x right, y down; the digit spans about
/// 0...1 in y and 0...1 in x), drawn in order as straight segments.
public typealias PenStroke = [SIMD2<Float>]

/// Building blocks of stroke models: lines and ellipse arcs, with the shape's own random
/// variation (a point moved by up to `wobble` in each axis).
struct PenPath {
  var rng: SeededGenerator
  /// Largest random displacement of a control point, in unit-box widths.
  var wobble: Float

  /// A point near (x, y).
  mutating func p(_ x: Float, _ y: Float) -> SIMD2<Float> {
    SIMD2(x + rng.uniform(-wobble, wobble), y + rng.uniform(-wobble, wobble))
  }

  /// A uniform value in lo..<hi.
  mutating func u(_ lo: Float, _ hi: Float) -> Float { rng.uniform(lo, hi) }

  /// True with probability `p`.
  mutating func chance(_ p: Float) -> Bool { rng.uniform(0, 1) < p }

  /// Straight segments through the points, each split so that later warps bend it smoothly.
  static func line(_ points: SIMD2<Float>...) -> PenStroke {
    var out: PenStroke = [points[0]]
    for (a, b) in zip(points, points.dropFirst()) {
      let steps = max(2, Int((simd_length(b - a) * 16).rounded(.up)))
      for i in 1...steps { out.append(a + (b - a) * Float(i) / Float(steps)) }
    }
    return out
  }

  /// Ellipse arc about `centre` with radii `radius`, from angle `from` to `to` (radians;
  /// with y down, growing angles turn clockwise on the page).
  static func arc(_ centre: SIMD2<Float>, _ radius: SIMD2<Float>, from: Float, to: Float) -> PenStroke {
    let steps = max(4, Int((abs(to - from) * 10).rounded(.up)))
    return (0...steps).map { i in
      let a = from + (to - from) * Float(i) / Float(steps)
      return centre + radius * SIMD2(cos(a), sin(a))
    }
  }

  /// Joins strokes drawn without lifting the pen into one.
  static func join(_ parts: PenStroke...) -> PenStroke { parts.flatMap { $0 } }
}

@inline(__always) func simd_length(_ v: SIMD2<Float>) -> Float { (v * v).sum().squareRoot() }
