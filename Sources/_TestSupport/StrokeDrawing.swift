import DigitsCore
import DigitsVision
import Foundation

/// Digits drawn as pen strokes (polylines and arcs, the way someone draws in a browser or
/// with a marker), for tests of drawn input rather than MNIST's.
public enum StrokeDrawing {
  /// Strokes in unit coordinates, `thickness` in pixels, anti-aliased, on a square picture.
  public static func draw(_ strokes: [[(Float, Float)]], thickness: Float, size: Int = 140, dark: Bool = true)
    -> GrayImage
  {
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

  /// An ellipse arc from angle `from` to `to` (radians), as 41 points.
  public static func circle(_ cx: Float, _ cy: Float, _ rx: Float, _ ry: Float, from: Float = 0, to: Float = 2 * .pi)
    -> [(Float, Float)]
  {
    (0...40).map { i in
      let a = from + (to - from) * Float(i) / 40
      return (cx + rx * cos(a), cy + ry * sin(a))
    }
  }

  /// The picture as an 8-bit grayscale PNG file.
  public static func png(_ image: GrayImage) -> Data {
    PNG.grayscale(
      image.pixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }, width: image.width, height: image.height)
  }
}
