import DigitsCore

/// Stroke-width measurement and adjustment on an ink image (0...1).
public enum Strokes {
  /// Mean stroke width in pixels: twice the ink mass over the support's boundary length,
  /// times 4/pi for the staircase boundaries of slanted strokes. Exact for long straight
  /// strokes; what matters is that it ranks and compares images consistently.
  public static func width(_ ink: [Float], width w: Int, height h: Int, support: Float = 0.2) -> Float {
    precondition(ink.count >= w * h)
    guard w > 0 && h > 0 else { return 0 }
    var mass: Float = 0
    var edges = 0
    ink.withUnsafeBufferPointer { ink in
      let p = ink.baseAddress!
      // The mass in raster order (a float sum, so the order is kept); runs of zeros leave
      // it unchanged and are skipped 16 at a time.
      var i = 0, n = w * h
      while i + 16 <= n {
        if !ImageOps.isUniform(p + i, 16) || p[i] != 0 { for k in i..<(i + 16) { mass += p[k] } }
        i += 16
      }
      while i < n {
        mass += p[i]
        i += 1
      }
      // Boundary edges (an integer count, any order): between horizontal and vertical
      // neighbours, plus the frame.
      for y in 0..<h {
        let row = p + y * w
        edges += insideChanges(row, row + 1, w - 1, support)
        if y + 1 < h { edges += insideChanges(row, row + w, w, support) }
        if row[0] > support { edges += 1 }
        if row[w - 1] > support { edges += 1 }
      }
      edges += insideCount(p, w, support) + insideCount(p + (h - 1) * w, w, support)
    }
    guard edges > 0 else { return 0 }
    return 2 * mass / Float(edges) * (4 / Float.pi)
  }

  /// How many of `count` pixel pairs (a[i], b[i]) lie on different sides of `support`.
  /// Out of line and on integers, so that it vectorises (see `ImageOps.isUniform`).
  @inline(never)
  static func insideChanges(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int,
    _ support: Float
  ) -> Int {
    var n: UInt32 = 0
    for i in 0..<count {
      let x: UInt32 = a[i] > support ? 1 : 0, y: UInt32 = b[i] > support ? 1 : 0
      n &+= x ^ y
    }
    return Int(n)
  }

  /// How many of `count` pixels are above `support`.
  @inline(never)
  static func insideCount(_ a: UnsafePointer<Float>, _ count: Int, _ support: Float) -> Int {
    var n: UInt32 = 0
    for i in 0..<count { n &+= a[i] > support ? 1 : 0 }
    return Int(n)
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
    precondition(ink.count == w * h)
    var out = ink
    ink.withUnsafeBufferPointer { ink in
      out.withUnsafeMutableBufferPointer { out in
        for y in 0..<h {
          for x in 0..<w {
            let i = y * w + x
            var m = ink[i]
            if x > 0 { m = max(m, ink[i - 1]) }
            if x + 1 < w { m = max(m, ink[i + 1]) }
            if y > 0 { m = max(m, ink[i - w]) }
            if y + 1 < h { m = max(m, ink[i + w]) }
            if square {
              if x > 0 && y > 0 { m = max(m, ink[i - w - 1]) }
              if x + 1 < w && y > 0 { m = max(m, ink[i - w + 1]) }
              if x > 0 && y + 1 < h { m = max(m, ink[i + w - 1]) }
              if x + 1 < w && y + 1 < h { m = max(m, ink[i + w + 1]) }
            }
            out[i] = m
          }
        }
      }
    }
    return out
  }
}
