/// Stroke-width measurement and adjustment on an ink image (0...1).
public enum Strokes {
  /// Mean stroke width in pixels: twice the ink mass over the support's boundary length,
  /// times 4/pi for the staircase boundaries of slanted strokes. Exact for long straight
  /// strokes; what matters is that it ranks and compares images consistently.
  public static func width(_ ink: [Float], width w: Int, height h: Int, support: Float = 0.2) -> Float {
    var mass: Float = 0
    var edges = 0
    for y in 0..<h {
      for x in 0..<w {
        let v = ink[y * w + x]
        mass += v
        let inside = v > support
        // Count each boundary edge once: right and down neighbours, plus the frame.
        if x + 1 < w { if inside != (ink[y * w + x + 1] > support) { edges += 1 } } else if inside { edges += 1 }
        if y + 1 < h { if inside != (ink[(y + 1) * w + x] > support) { edges += 1 } } else if inside { edges += 1 }
        if x == 0 && inside { edges += 1 }
        if y == 0 && inside { edges += 1 }
      }
    }
    guard edges > 0 else { return 0 }
    return 2 * mass / Float(edges) * (4 / Float.pi)
  }

  /// Thickens strokes much thinner than `target` (a faint hairline first becomes a solid
  /// one-pixel line, then grows by grey-level dilation); leaves normal and bold strokes.
  static func normalize(_ ink: inout [Float], width w: Int, height h: Int, target: Float) {
    let current = width(ink, width: w, height: h)
    guard current > 0, current < 0.75 * target else { return }
    if current < 1 {
      let gain = 1 / max(current, 0.05)
      for i in ink.indices { ink[i] = min(1, ink[i] * gain) }
    }
    let grow = (0.85 * target - max(current, 1)) / 2
    let steps = Int(grow.rounded())
    for step in 0..<steps { ink = dilate(ink, width: w, height: h, square: step % 2 == 1) }
  }

  /// Grey-level dilation by a 3x3 cross (or square): each pixel takes its neighbourhood's max.
  static func dilate(_ ink: [Float], width w: Int, height h: Int, square: Bool) -> [Float] {
    var out = ink
    for y in 0..<h {
      for x in 0..<w {
        var m = ink[y * w + x]
        if x > 0 { m = max(m, ink[y * w + x - 1]) }
        if x + 1 < w { m = max(m, ink[y * w + x + 1]) }
        if y > 0 { m = max(m, ink[(y - 1) * w + x]) }
        if y + 1 < h { m = max(m, ink[(y + 1) * w + x]) }
        if square {
          if x > 0 && y > 0 { m = max(m, ink[(y - 1) * w + x - 1]) }
          if x + 1 < w && y > 0 { m = max(m, ink[(y - 1) * w + x + 1]) }
          if x > 0 && y + 1 < h { m = max(m, ink[(y + 1) * w + x - 1]) }
          if x + 1 < w && y + 1 < h { m = max(m, ink[(y + 1) * w + x + 1]) }
        }
        out[y * w + x] = m
      }
    }
    return out
  }
}
