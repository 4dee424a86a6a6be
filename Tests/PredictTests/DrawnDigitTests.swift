import DigitsCore
import Foundation
import Testing

/// Digits drawn as pen strokes (polylines and arcs, as someone would draw them in a
/// browser or with a marker), not MNIST: hairline to heavy marker, both polarities.
@Suite struct DrawnDigitTests {
  /// Strokes in unit coordinates, `thickness` in pixels, anti-aliased.
  static func draw(_ strokes: [[(Float, Float)]], thickness: Float, size: Int = 140, dark: Bool = true) -> GrayImage {
    var img = GrayImage(width: size, height: size, value: dark ? 1 : 0)
    for y in 0..<size {
      for x in 0..<size {
        var d = Float.infinity
        let p = (Float(x) / Float(size), Float(y) / Float(size))
        for s in strokes {
          for (a, b) in zip(s, s.dropFirst()) {
            let vx = b.0 - a.0, vy = b.1 - a.1
            let t = max(0, min(1, ((p.0 - a.0) * vx + (p.1 - a.1) * vy) / max(1e-9, vx * vx + vy * vy)))
            let dx = p.0 - (a.0 + t * vx), dy = p.1 - (a.1 + t * vy)
            d = min(d, (dx * dx + dy * dy).squareRoot() * Float(size))
          }
        }
        let ink = max(0, min(1, thickness / 2 - d + 0.5))
        img[x, y] = dark ? 1 - ink : ink
      }
    }
    return img
  }

  static func circle(_ cx: Float, _ cy: Float, _ rx: Float, _ ry: Float, from: Float = 0, to: Float = 2 * .pi) -> [(Float, Float)] {
    (0...40).map { i in let a = from + (to - from) * Float(i) / 40; return (cx + rx * cos(a), cy + ry * sin(a)) }
  }

  @Test func drawnDigits() {
    let shapes: [(String, [[(Float, Float)]])] = [
      ("0", [Self.circle(0.5, 0.5, 0.22, 0.32)]),
      ("1", [[(0.45, 0.25), (0.55, 0.18), (0.55, 0.82)]]),
      ("2", [Self.circle(0.5, 0.35, 0.2, 0.15, from: .pi, to: 2.2 * .pi) + [(0.3, 0.8), (0.72, 0.8)]]),
      ("3", [Self.circle(0.5, 0.33, 0.18, 0.15, from: -.pi * 0.9, to: .pi / 2), Self.circle(0.5, 0.65, 0.2, 0.17, from: -.pi / 2, to: .pi * 0.9)]),
      ("4", [[(0.6, 0.82), (0.6, 0.18), (0.28, 0.62), (0.75, 0.62)]]),
      ("5", [[(0.7, 0.2), (0.35, 0.2), (0.32, 0.48)], Self.circle(0.5, 0.62, 0.2, 0.18, from: -.pi * 0.8, to: .pi * 0.8)]),
      ("6", [[(0.65, 0.18), (0.4, 0.45)], Self.circle(0.5, 0.63, 0.17, 0.19)]),
      ("7", [[(0.28, 0.2), (0.72, 0.2), (0.45, 0.82)]]),
      ("8", [Self.circle(0.5, 0.33, 0.15, 0.14), Self.circle(0.5, 0.66, 0.19, 0.17)]),
      ("9", [Self.circle(0.5, 0.36, 0.17, 0.17), [(0.67, 0.36), (0.62, 0.82)]]),
    ]
    let classifier = PredictionTests.classifier()
    var wrong: [String] = []
    for thickness: Float in [1.5, 5, 14] {
      for dark in [true, false] {
        var inputs: [Float] = []
        for (_, s) in shapes {
          inputs += DigitPreprocessor().prepare(Self.draw(s, thickness: thickness, dark: dark)).pixels ?? [Float](repeating: 0, count: 784)
        }
        let p = classifier.probabilities(inputs)
        for (k, (name, _)) in shapes.enumerated() {
          let row = Array(p[(k * 10)..<(k * 10 + 10)])
          let best = row.firstIndex(of: row.max()!)!
          if String(best) != name { wrong.append("\(name) read \(best) (pen \(thickness) px, \(dark ? "dark" : "light") ink)") }
        }
      }
    }
    #expect(wrong.count <= 2, "\(wrong)")
  }
}
