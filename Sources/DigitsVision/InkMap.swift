import DigitsCore

/// How much ink each pixel of a picture holds: 0 paper, 1 full ink. Building it takes out
/// the paper's brightness and its unevenness (shadows, gradients), the ink's polarity and
/// the picture's contrast, so every later step works on one kind of image.
public struct InkMap: Sendable {
  public let width: Int
  public let height: Int
  /// Row-major, in [0, 1].
  public var ink: [Float]
  /// True when the ink is darker than the paper (the usual photo or scan).
  public let darkInk: Bool
  /// Luminance difference between paper and typical ink, 0...1. Below
  /// `Options.minContrast` the picture counts as blank and `ink` is all zero.
  public let contrast: Float
  /// Source pixels per ink-map pixel along each axis (large pictures are shrunk first).
  public let shrink: Int
  /// Where the map's top-left corner lies in the source picture (a focused map covers
  /// only the part around the ink).
  public var origin: (x: Int, y: Int) = (0, 0)

  public init(width: Int, height: Int, ink: [Float], darkInk: Bool = true, contrast: Float = 1, shrink: Int = 1) {
    precondition(ink.count == width * height)
    self.width = width
    self.height = height
    self.ink = ink
    self.darkInk = darkInk
    self.contrast = contrast
    self.shrink = shrink
  }

  public struct Options: Sendable {
    /// Pictures larger than this on their longer side are box-averaged down first (speed;
    /// a digit never needs more than a few hundred pixels).
    public var workingSide = 640
    /// Paper-to-ink contrast below which nothing counts as ink (blank or near-blank pictures).
    public var minContrast: Float = 0.12
    /// Ink below this fraction of the typical ink contrast is noise; above `fullInk`, full ink.
    public var noiseFloor: Float = 0.3
    public var fullInk: Float = 0.7
    /// Background cells per longer side; the paper level is estimated per cell.
    public var backgroundCells = 8
    public init() {}
  }

  /// Like `make`, but fast on large pictures: a coarse pass (longer side `coarseSide`)
  /// finds the ink; when the ink is large enough there (`enough` pixels on its longer
  /// side) that map is used, otherwise the part of the picture around the ink is mapped
  /// again at full resolution (up to `options.workingSide`). A coarse pass that finds no
  /// ink (a hairline lost in shrinking) falls back to `make` on the whole picture.
  public static func focused(
    _ image: GrayImage, options: Options = Options(), coarseSide: Int = 256,
    enough: Int = 48
  ) -> InkMap {
    focusedWithParts(image, options: options, coarseSide: coarseSide, enough: enough).map
  }

  /// `focused`, and when the coarse map is the answer, the components (at the default
  /// threshold) it was judged by, so that `DigitPreprocessor` need not find them again.
  static func focusedWithParts(
    _ image: GrayImage, options: Options = Options(), coarseSide: Int = 256,
    enough: Int = 48
  ) -> (map: InkMap, parts: InkComponents?) {
    guard max(image.width, image.height) > coarseSide else { return (make(image, options: options), nil) }
    var coarseOptions = options
    coarseOptions.workingSide = coarseSide
    let coarse = make(image, options: coarseOptions)
    if coarse.contrast < options.minContrast { return (make(image, options: options), nil) }
    let parts = InkComponents(coarse)
    guard let largest = parts.components.map(\.area).max() else { return (make(image, options: options), nil) }
    let significant = parts.components.filter { $0.area * 50 >= largest }
    let x0 = significant.map(\.minX).min()!, x1 = significant.map(\.maxX).max()!
    let y0 = significant.map(\.minY).min()!, y1 = significant.map(\.maxY).max()!
    let side = max(x1 - x0 + 1, y1 - y0 + 1)
    if side >= enough { return (coarse, parts) }
    let margin = max(2, side / 2)
    let k = coarse.shrink
    let cx0 = max(0, (x0 - margin) * k), cy0 = max(0, (y0 - margin) * k)
    let cx1 = min(image.width, (x1 + 1 + margin) * k), cy1 = min(image.height, (y1 + 1 + margin) * k)
    var fine = make(image.cropped(x: cx0, y: cy0, width: cx1 - cx0, height: cy1 - cy0), options: options)
    fine.origin = (cx0, cy0)
    return (fine, nil)
  }

  /// Polarity detection, background and contrast normalisation, for a picture of any size.
  public static func make(_ image: GrayImage, options: Options = Options()) -> InkMap {
    precondition(!image.isEmpty, "InkMap of an empty image")
    let factor = max(1, (max(image.width, image.height) + options.workingSide - 1) / options.workingSide)
    var lum = factor > 1 ? ImageOps.boxShrink(image, factor: factor) : image
    let w = lum.width, h = lum.height
    let sigma = ImageOps.noiseSigma(lum)
    if sigma > 0.025 { lum = ImageOps.binomialBlur(lum) }
    if sigma > 0.08 { lum = ImageOps.binomialBlur(lum) }

    let dark = darkInkLikely(lum)
    // Paper bright, ink dark, whatever the polarity was.
    var x = lum.pixels
    if !dark { x.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = 1 - p[i] } } }
    var d = paperMinus(x, width: w, height: h, cells: options.backgroundCells)

    let inkLevel = typicalInk(d)
    guard inkLevel >= options.minContrast else {
      return InkMap(
        width: w, height: h, ink: [Float](repeating: 0, count: w * h), darkInk: dark, contrast: inkLevel,
        shrink: factor)
    }
    let lo = options.noiseFloor * inkLevel, hi = options.fullInk * inkLevel
    let gain = 1 / (hi - lo)
    d.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = min(1, max(0, (p[i] - lo) * gain)) } }
    removeRuledLines(&d, width: w, height: h)
    return InkMap(width: w, height: h, ink: d, darkInk: dark, contrast: inkLevel, shrink: factor)
  }

  /// The border is mostly paper: ink is on the side of the border's median luminance that
  /// holds more (mass times distance) of the clearly different pixels. Ties mean dark ink.
  /// Large pictures are sampled on a grid (every `step`-th row and column).
  static func darkInkLikely(_ image: GrayImage) -> Bool {
    let w = image.width, h = image.height
    let border = max(1, min(w, h) / 16)
    let step = max(1, min(w, h) / 128)
    var histogram = [Int](repeating: 0, count: 256)
    var darker: Float = 0, lighter: Float = 0
    image.pixels.withUnsafeBufferPointer { p in
      // The ring's sampled pixels: whole rows at the top and bottom; between them the
      // columns x < border, then x >= w - border (each column once where they meet).
      var ring = [Float]()
      ring.reserveCapacity(2 * border * (w + h) / (step * step) + 2 * (w + h))
      let right = (max(border, w - border) + step - 1) / step * step
      for y in stride(from: 0, to: h, by: step) {
        let row = y * w
        if y < border || y >= h - border {
          if step == 1 {
            ring.append(contentsOf: UnsafeBufferPointer(rebasing: p[row..<(row + w)]))
          } else {
            for x in stride(from: 0, to: w, by: step) { ring.append(p[row + x]) }
          }
        } else if step == 1 {
          ring.append(contentsOf: UnsafeBufferPointer(rebasing: p[row..<(row + min(border, w))]))
          ring.append(contentsOf: UnsafeBufferPointer(rebasing: p[(row + right)..<(row + w)]))
        } else {
          for x in stride(from: 0, to: min(border, w), by: step) { ring.append(p[row + x]) }
          for x in stride(from: right, to: w, by: step) { ring.append(p[row + x]) }
        }
      }
      histogram.withUnsafeMutableBufferPointer { hist in
        ring.withUnsafeBufferPointer { ImageOps.histogram($0, into: hist) { min(255, Int($0 * 255 + 0.5)) } }
      }
      let b = ImageOps.quantile(histogram: histogram, total: ring.count, 0.5)
      // Sums of max(0, ...) terms in raster order. A zero term leaves a sum unchanged, so
      // only the clearly different pixels are added: chunks without one (paper) are
      // skipped after a vectorised test.
      for y in stride(from: 0, to: h, by: step) {
        let row = y * w
        guard step == 1 else {
          for x in stride(from: 0, to: w, by: step) { addContrast(p[row + x] - b, &darker, &lighter) }
          continue
        }
        var q = p.baseAddress! + row, left = w
        while left > 0 {
          let n = min(left, 32)
          if anyFar(q, n, from: b) { for x in 0..<n { addContrast(q[x] - b, &darker, &lighter) } }
          q += n
          left -= n
        }
      }
    }
    return darker >= lighter
  }

  /// Whether one of the `count` values at `p` has a positive `addContrast` term: one is
  /// positive exactly when |value - b| > 0.1 (x - 0.1 > 0 iff x > 0.1 in floats).
  /// Out of line, like `ImageOps.isUniform`, so that it vectorises.
  @inline(never)
  static func anyFar(_ p: UnsafePointer<Float>, _ count: Int, from b: Float) -> Bool {
    var far: UInt32 = 0
    for j in 0..<count { far |= abs(p[j] - b) > 0.1 ? 1 : 0 }
    return far != 0
  }

  /// One pixel's terms of `darkInkLikely`'s sums: max(0, -diff - 0.1) and max(0, diff - 0.1).
  @inline(__always)
  static func addContrast(_ diff: Float, _ darker: inout Float, _ lighter: inout Float) {
    let dark = -diff - 0.1, light = diff - 0.1
    if dark > 0 { darker += dark }
    if light > 0 { lighter += light }
  }

  /// Adds a cell's four interleaved 64-bin histograms into `histogram`; returns the count.
  /// (Out of line so that it vectorises; the counts stay far below Int32.max.)
  @inline(never)
  static func fold(_ parts: UnsafePointer<Int32>, into histogram: UnsafeMutablePointer<Int32>) -> Int {
    var n: Int32 = 0
    for b in 0..<64 {
      let c = parts[b] &+ parts[b + 64] &+ parts[b + 128] &+ parts[b + 192]
      histogram[b] = c
      n &+= c
    }
    return Int(n)
  }

  /// max(0, paper - x) for every pixel, where paper is the paper luminance under it: a
  /// bright quantile per cell (from a grid sample of at most ~256 pixels per cell), the
  /// brightest of each cell's 3x3 neighbourhood (so cells filled by a thick stroke take
  /// their neighbours' paper), bilinear between cell centres.
  static func paperMinus(_ x: [Float], width w: Int, height h: Int, cells: Int) -> [Float] {
    let side = max(4, (max(w, h) + cells - 1) / cells)
    let nx = (w + side - 1) / side, ny = (h + side - 1) / side
    let sample = max(1, side / 16)
    var level = [Float](repeating: 1, count: nx * ny)
    var histograms = [Int32](repeating: 0, count: nx * ny * 64)
    var counts = [Int](repeating: 0, count: nx * ny)
    // Each band of cells (one row of them) is counted in four interleaved copies of its
    // bins (by sample index mod 4): a run of equal paper pixels then does not wait on one
    // counter's previous increment. The copies are folded when the band is done.
    var band = [Int32](repeating: 0, count: nx * 256)
    x.withUnsafeBufferPointer { p in
      histograms.withUnsafeMutableBufferPointer { hist in
        band.withUnsafeMutableBufferPointer { part in
          var y = 0
          for cy in 0..<ny {
            let bandEnd = min(h, (cy + 1) * side)
            while y < bandEnd {
              let row = y * w
              // Along the row cell by cell (no division per pixel).
              var xx = 0, k = 0
              for cx in 0..<nx {
                let end = min(w, (cx + 1) * side), bins = cx * 256
                // A uniform stretch (paper) goes to its bin at once (one whose ends differ
                // is not, and is not tested further: noisy pictures).
                if sample == 1 && p[row + xx] == p[row + end - 1]
                  && ImageOps.isUniform(p.baseAddress! + row + xx, end - xx)
                {
                  part[bins + min(63, Int(p[row + xx] * 63 + 0.5))] += Int32(end - xx)
                  xx = end
                  continue
                }
                while xx < end {
                  part[bins + (k & 3) * 64 + min(63, Int(p[row + xx] * 63 + 0.5))] += 1
                  k += 1
                  xx += sample
                }
              }
              y += sample
            }
            for cx in 0..<nx {
              let cell = cy * nx + cx
              counts[cell] = fold(part.baseAddress! + cx * 256, into: hist.baseAddress! + cell * 64)
            }
            part.update(repeating: 0)
          }
        }
        for cell in 0..<(nx * ny) {
          let bins = UnsafeBufferPointer(rebasing: hist[(cell * 64)..<((cell + 1) * 64)])
          level[cell] = ImageOps.quantile(histogram: bins, total: counts[cell], 0.8)
        }
      }
    }
    var dilated = level
    for cy in 0..<ny {
      for cx in 0..<nx {
        var m: Float = 0
        for yy in max(0, cy - 1)...min(ny - 1, cy + 1) {
          for xc in max(0, cx - 1)...min(nx - 1, cx + 1) { m = max(m, level[yy * nx + xc]) }
        }
        dilated[cy * nx + cx] = m
      }
    }
    // Bilinear between cell centres, clamped at the edges. Per column: the left cell and
    // both weights; columns sharing a left cell form runs, so the inner loop needs no
    // lookups and vectorises.
    let inv = 1 / Float(side)
    var colT = [Float](repeating: 0, count: w), colU = colT
    var runs: [(start: Int, end: Int, c0: Int, c1: Int)] = []
    for xx in 0..<w {
      let f = max(0, min(Float(nx - 1), (Float(xx) + 0.5) * inv - 0.5))
      let c0 = Int(f)
      colT[xx] = f - Float(c0)
      colU[xx] = 1 - colT[xx]
      if let last = runs.last, last.c0 == c0 {
        runs[runs.count - 1].end = xx + 1
      } else {
        runs.append((xx, xx + 1, c0, min(nx - 1, c0 + 1)))
      }
    }
    var rowA = [Float](repeating: 0, count: nx)
    let out = [Float](unsafeUninitializedCapacity: w * h) { o, initialized in
      x.withUnsafeBufferPointer { p in
        colT.withUnsafeBufferPointer { ct in
          colU.withUnsafeBufferPointer { cu in
            for y in 0..<h {
              let f = max(0, min(Float(ny - 1), (Float(y) + 0.5) * inv - 0.5))
              let r0 = Int(f), r1 = min(ny - 1, Int(f) + 1), t = f - Float(Int(f))
              for c in 0..<nx { rowA[c] = dilated[r0 * nx + c] * (1 - t) + dilated[r1 * nx + c] * t }
              let src = p.baseAddress! + y * w, dst = o.baseAddress! + y * w
              for run in runs {
                let a = rowA[run.c0], b = rowA[run.c1]
                for xx in run.start..<run.end {
                  let paper = a * cu[xx] + b * ct[xx]
                  dst[xx] = max(0, paper - src[xx])
                }
              }
            }
          }
        }
      }
      initialized = w * h
    }
    return out
  }

  /// Erases ruled or grid lines: straight runs of ink from edge to edge of the picture (to
  /// within 3% of each edge) that are thin (at most 2% of the other side). Where a digit's
  /// stroke crosses a line the ink is thicker across it, so the stroke stays; a digit's own
  /// bar reaches both edges only in a crop tighter than anyone makes. Pictures under 64
  /// pixels (raw 28x28 arrays) are left alone.
  static func removeRuledLines(_ ink: inout [Float], width w: Int, height h: Int) {
    var erase: [Int] = []
    ink.withUnsafeBufferPointer { p in
      // Horizontal lines: step 1 along x, thickness measured along y; then the transpose.
      for (along, across, alongStep, acrossStep) in [(w, h, 1, w), (h, w, w, 1)] {
        let slack = along * 3 / 100, maxThick = max(2, across / 50)
        guard along >= 64 && across >= 64 else { continue }
        for line in 0..<across {
          let base = line * acrossStep
          // A run reaching both edges (to within the slack) covers the middle pixel: most
          // lines are rejected by that one pixel.
          guard p[base + (along / 2) * alongStep] > 0.5 else { continue }
          var start = 0
          while start < along {
            guard p[base + start * alongStep] > 0.5 else {
              start += 1
              continue
            }
            var end = start
            while end < along && p[base + end * alongStep] > 0.5 { end += 1 }
            if start <= slack && end >= along - slack {
              for t in start..<end {
                let i = base + t * alongStep
                var thick = 1, k = line - 1
                while k >= 0 && thick <= maxThick && p[i - (line - k) * acrossStep] > 0.5 {
                  thick += 1
                  k -= 1
                }
                k = line + 1
                while k < across && thick <= maxThick && p[i + (k - line) * acrossStep] > 0.5 {
                  thick += 1
                  k += 1
                }
                if thick <= maxThick {
                  erase.append(i)
                  // The anti-aliased fringe on either side of the line.
                  if line > 0 && p[i - acrossStep] <= 0.5 { erase.append(i - acrossStep) }
                  if line + 1 < across && p[i + acrossStep] <= 0.5 { erase.append(i + acrossStep) }
                }
              }
            }
            start = end
          }
        }
      }
    }
    for i in erase { ink[i] = 0 }
  }

  /// The darkness of typical ink in `d` (paper minus luminance): Otsu's threshold splits
  /// ink from paper, then the 90th percentile of the ink side (robust to a few dark specks).
  static func typicalInk(_ d: [Float]) -> Float {
    let bins = 256
    var histogram = [Int](repeating: 0, count: bins)
    histogram.withUnsafeMutableBufferPointer { hist in
      d.withUnsafeBufferPointer { p in
        ImageOps.histogram(p, into: hist) { min(bins - 1, Int($0 * Float(bins - 1) + 0.5)) }
      }
    }
    let t = ImageOps.otsu(histogram)
    var above = 0
    for i in (t + 1)..<bins { above += histogram[i] }
    guard above > 0 else { return 0 }
    var seen = 0
    let target = Int(Double(above) * 0.9)
    for i in (t + 1)..<bins {
      seen += histogram[i]
      if seen > target { return Float(i) / Float(bins - 1) }
    }
    return 1
  }
}
