import Foundation

/// Renders pen strokes anti-aliased: each pixel's ink is how far its centre lies inside the
/// pen's disc swept along the stroke (one pixel of soft edge), darkest stroke wins.
enum PenRaster {
  /// Strokes in pixel coordinates, pen `width` in pixels, onto a `width` x `height` canvas
  /// of ink (0 background, `ink` at full cover).
  static func render(_ strokes: [PenStroke], pen: Float, ink: Float, width w: Int, height h: Int) -> [Float] {
    var out = [Float](repeating: 0, count: w * h)
    let radius = pen / 2
    for stroke in strokes {
      for (a, b) in zip(stroke, stroke.dropFirst().isEmpty ? stroke[...] : stroke.dropFirst()) {
        let lo = SIMD2(min(a.x, b.x), min(a.y, b.y)) - radius - 1
        let hi = SIMD2(max(a.x, b.x), max(a.y, b.y)) + radius + 1
        let v = b - a, vv = max(1e-9, (v * v).sum())
        let y0 = max(0, Int(lo.y)), y1 = min(h - 1, Int(hi.y.rounded(.up)))
        let x0 = max(0, Int(lo.x)), x1 = min(w - 1, Int(hi.x.rounded(.up)))
        guard y0 <= y1, x0 <= x1 else { continue }
        for y in y0...y1 {
          for x in x0...x1 {
            let p = SIMD2(Float(x) + 0.5, Float(y) + 0.5)
            let t = max(0, min(1, ((p - a) * v).sum() / vv))
            let d = p - (a + v * t)
            let cover = max(0, min(1, radius - (d * d).sum().squareRoot() + 0.5))
            if cover > 0 { out[y * w + x] = max(out[y * w + x], cover * ink) }
          }
        }
      }
    }
    return out
  }
}
