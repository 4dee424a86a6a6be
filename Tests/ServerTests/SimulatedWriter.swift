import DigitsCore
import DigitsVision
import Foundation
import _TestSupport

/// One person's handwriting, simulated: a fixed style per digit (a `1` with a long flag, a
/// crossed `7`, an open `4`, a `9` with a straight tail, as much of Europe writes them; the
/// built-in model reads a flagged `1` with a foot right, but this one as a `7`) drawn as pen
/// strokes, with the small differences between two drawings by the same hand: position, size,
/// slant, a little rotation, wobble, pen width.
struct SimulatedWriter {
  /// Each digit's strokes in unit coordinates (x right, y down), as this writer draws it.
  static let style: [[[(Float, Float)]]] = [
    [StrokeDrawing.circle(0.5, 0.5, 0.24, 0.36)],
    [[(0.23, 0.28), (0.59, 0.11), (0.58, 0.89)]],
    [StrokeDrawing.circle(0.5, 0.32, 0.22, 0.2, from: .pi, to: 2.2 * .pi) + [(0.28, 0.86), (0.76, 0.86)]],
    [
      StrokeDrawing.circle(0.48, 0.31, 0.2, 0.18, from: -0.8 * .pi, to: 0.5 * .pi),
      StrokeDrawing.circle(0.48, 0.68, 0.23, 0.2, from: -0.5 * .pi, to: 0.8 * .pi),
    ],
    [[(0.46, 0.12), (0.24, 0.6), (0.78, 0.6)], [(0.62, 0.36), (0.62, 0.88)]],
    [
      [(0.72, 0.14), (0.34, 0.14), (0.31, 0.46)],
      StrokeDrawing.circle(0.5, 0.64, 0.22, 0.22, from: -0.8 * .pi, to: 0.8 * .pi),
    ],
    [
      [(0.66, 0.14), (0.46, 0.28), (0.33, 0.48), (0.30, 0.67)]
        + StrokeDrawing.circle(0.5, 0.67, 0.2, 0.2, from: .pi, to: 3 * .pi)
    ],
    [[(0.24, 0.16), (0.76, 0.16), (0.44, 0.88)], [(0.40, 0.52), (0.72, 0.52)]],
    [StrokeDrawing.circle(0.5, 0.3, 0.18, 0.17), StrokeDrawing.circle(0.5, 0.68, 0.22, 0.2)],
    [StrokeDrawing.circle(0.5, 0.32, 0.21, 0.19), [(0.71, 0.32), (0.64, 0.88)]],
  ]

  /// Pixels a side of a drawing, and its pen width: the page's 280-pixel pad with an 18-pixel
  /// pen, scaled to the 112 pixels the page sends.
  static let side = 112
  static let pen: Float = 7.2

  /// Drawing `index` of `digit`: the same (digit, index, seed) always gives the same picture.
  static func draw(_ digit: Int, index: Int, seed: UInt64) -> GrayImage {
    var rng = SeededGenerator(seed: seed &* 1_000_003 &+ UInt64(digit * 10_007 + index))
    let scale = rng.uniform(0.85, 1.1), slant = rng.uniform(-0.12, 0.12), turn = rng.uniform(-0.08, 0.08)
    let dx = rng.uniform(-0.06, 0.06), dy = rng.uniform(-0.05, 0.05)
    let strokes = style[digit].map { stroke in
      stroke.map { point -> (Float, Float) in
        let x = point.0 - 0.5 + rng.uniform(-0.012, 0.012), y = point.1 - 0.5 + rng.uniform(-0.012, 0.012)
        let sx = x + slant * -y
        let rx = cos(turn) * sx - sin(turn) * y, ry = sin(turn) * sx + cos(turn) * y
        return (0.5 + dx + scale * rx, 0.5 + dy + scale * ry)
      }
    }
    return StrokeDrawing.draw(strokes, thickness: pen * rng.uniform(0.85, 1.2), size: side)
  }

  /// What the model sees of drawing `index` of `digit`: 784 values, ink 1.
  static func input28(_ digit: Int, index: Int, seed: UInt64) -> [Float] {
    DigitPreprocessor().prepare(draw(digit, index: index, seed: seed)).pixels
      ?? [Float](repeating: 0, count: MNISTShape.pixels)
  }
}
