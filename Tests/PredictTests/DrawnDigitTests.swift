import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// Digits drawn as pen strokes (polylines and arcs, as someone would draw them in a
/// browser or with a marker), not MNIST: hairline to heavy marker, both polarities.
@Suite struct DrawnDigitTests {
  @Test func drawnDigits() {
    let shapes: [(String, [[(Float, Float)]])] = [
      ("0", [StrokeDrawing.circle(0.5, 0.5, 0.22, 0.32)]),
      ("1", [[(0.45, 0.25), (0.55, 0.18), (0.55, 0.82)]]),
      ("2", [StrokeDrawing.circle(0.5, 0.35, 0.2, 0.15, from: .pi, to: 2.2 * .pi) + [(0.3, 0.8), (0.72, 0.8)]]),
      (
        "3",
        [
          StrokeDrawing.circle(0.5, 0.33, 0.18, 0.15, from: -.pi * 0.9, to: .pi / 2),
          StrokeDrawing.circle(0.5, 0.65, 0.2, 0.17, from: -.pi / 2, to: .pi * 0.9),
        ]
      ),
      ("4", [[(0.6, 0.82), (0.6, 0.18), (0.28, 0.62), (0.75, 0.62)]]),
      (
        "5",
        [
          [(0.7, 0.2), (0.35, 0.2), (0.32, 0.48)],
          StrokeDrawing.circle(0.5, 0.62, 0.2, 0.18, from: -.pi * 0.8, to: .pi * 0.8),
        ]
      ),
      ("6", [[(0.65, 0.18), (0.4, 0.45)], StrokeDrawing.circle(0.5, 0.63, 0.17, 0.19)]),
      ("7", [[(0.28, 0.2), (0.72, 0.2), (0.45, 0.82)]]),
      ("8", [StrokeDrawing.circle(0.5, 0.33, 0.15, 0.14), StrokeDrawing.circle(0.5, 0.66, 0.19, 0.17)]),
      ("9", [StrokeDrawing.circle(0.5, 0.36, 0.17, 0.17), [(0.67, 0.36), (0.62, 0.82)]]),
    ]
    let classifier = PredictionTests.classifier()
    var wrong: [String] = []
    for thickness: Float in [1.5, 5, 14] {
      for dark in [true, false] {
        var inputs: [Float] = []
        for (_, s) in shapes {
          inputs +=
            DigitPreprocessor().prepare(StrokeDrawing.draw(s, thickness: thickness, dark: dark)).pixels
            ?? [Float](repeating: 0, count: 784)
        }
        let p = classifier.probabilities(inputs)
        for (k, (name, _)) in shapes.enumerated() {
          let row = Array(p[(k * 10)..<(k * 10 + 10)])
          let best = row.firstIndex(of: row.max()!)!
          if String(best) != name {
            wrong.append("\(name) read \(best) (pen \(thickness) px, \(dark ? "dark" : "light") ink)")
          }
        }
      }
    }
    #expect(wrong.count <= 2, "\(wrong)")
  }
}
