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
  public static func focused(_ image: GrayImage, options: Options = Options(), coarseSide: Int = 256,
                             enough: Int = 48) -> InkMap {
    guard max(image.width, image.height) > coarseSide else { return make(image, options: options) }
    var coarseOptions = options
    coarseOptions.workingSide = coarseSide
    let coarse = make(image, options: coarseOptions)
    if coarse.contrast < options.minContrast { return make(image, options: options) }
    let parts = InkComponents(coarse)
    guard let largest = parts.components.map(\.area).max() else { return make(image, options: options) }
    let significant = parts.components.filter { $0.area * 50 >= largest }
    let x0 = significant.map(\.minX).min()!, x1 = significant.map(\.maxX).max()!
    let y0 = significant.map(\.minY).min()!, y1 = significant.map(\.maxY).max()!
    let side = max(x1 - x0 + 1, y1 - y0 + 1)
    if side >= enough { return coarse }
    let margin = max(2, side / 2)
    let k = coarse.shrink
    let cx0 = max(0, (x0 - margin) * k), cy0 = max(0, (y0 - margin) * k)
    let cx1 = min(image.width, (x1 + 1 + margin) * k), cy1 = min(image.height, (y1 + 1 + margin) * k)
    var fine = make(image.cropped(x: cx0, y: cy0, width: cx1 - cx0, height: cy1 - cy0), options: options)
    fine.origin = (cx0, cy0)
    return fine
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
      return InkMap(width: w, height: h, ink: [Float](repeating: 0, count: w * h), darkInk: dark, contrast: inkLevel,
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
    let ring = max(1, min(w, h) / 16)
    let step = max(1, min(w, h) / 128)
    var histogram = [Int](repeating: 0, count: 256)
    var total = 0
    var darker: Float = 0, lighter: Float = 0
    image.pixels.withUnsafeBufferPointer { p in
      for y in stride(from: 0, to: h, by: step) {
        let rowIsBorder = y < ring || y >= h - ring
        for x in stride(from: 0, to: w, by: step) where rowIsBorder || x < ring || x >= w - ring {
          histogram[min(255, Int(p[y * w + x] * 255 + 0.5))] += 1
          total += 1
        }
      }
      let b = ImageOps.quantile(histogram: histogram, total: total, 0.5)
      for y in stride(from: 0, to: h, by: step) {
        for x in stride(from: 0, to: w, by: step) {
          let diff = p[y * w + x] - b
          darker += max(0, -diff - 0.1)
          lighter += max(0, diff - 0.1)
        }
      }
    }
    return darker >= lighter
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
    var histograms = [Int](repeating: 0, count: nx * ny * 64)
    var counts = [Int](repeating: 0, count: nx * ny)
    x.withUnsafeBufferPointer { p in
      histograms.withUnsafeMutableBufferPointer { hist in
        for y in stride(from: 0, to: h, by: sample) {
          let rowCells = (y / side) * nx
          for xx in stride(from: 0, to: w, by: sample) {
            let cell = rowCells + xx / side
            hist[cell * 64 + min(63, Int(p[y * w + xx] * 63 + 0.5))] += 1
            counts[cell] += 1
          }
        }
      }
    }
    for cell in 0..<(nx * ny) {
      level[cell] = ImageOps.quantile(histogram: Array(histograms[(cell * 64)..<((cell + 1) * 64)]), total: counts[cell], 0.8)
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
    // Bilinear between cell centres, clamped at the edges.
    var out = [Float](repeating: 0, count: w * h)
    let inv = 1 / Float(side)
    var col0 = [Int](repeating: 0, count: w), col1 = col0, colT = [Float](repeating: 0, count: w)
    for xx in 0..<w {
      let f = max(0, min(Float(nx - 1), (Float(xx) + 0.5) * inv - 0.5))
      col0[xx] = Int(f)
      col1[xx] = min(nx - 1, col0[xx] + 1)
      colT[xx] = f - Float(col0[xx])
    }
    var rowA = [Float](repeating: 0, count: nx)
    x.withUnsafeBufferPointer { p in
      out.withUnsafeMutableBufferPointer { o in
        for y in 0..<h {
          let f = max(0, min(Float(ny - 1), (Float(y) + 0.5) * inv - 0.5))
          let r0 = Int(f), r1 = min(ny - 1, Int(f) + 1), t = f - Float(Int(f))
          for c in 0..<nx { rowA[c] = dilated[r0 * nx + c] * (1 - t) + dilated[r1 * nx + c] * t }
          for xx in 0..<w {
            let paper = rowA[col0[xx]] * (1 - colT[xx]) + rowA[col1[xx]] * colT[xx]
            o[y * w + xx] = max(0, paper - p[y * w + xx])
          }
        }
      }
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
          var start = 0
          while start < along {
            guard p[base + start * alongStep] > 0.5 else { start += 1; continue }
            var end = start
            while end < along && p[base + end * alongStep] > 0.5 { end += 1 }
            if start <= slack && end >= along - slack {
              for t in start..<end {
                let i = base + t * alongStep
                var thick = 1, k = line - 1
                while k >= 0 && thick <= maxThick && p[i - (line - k) * acrossStep] > 0.5 { thick += 1; k -= 1 }
                k = line + 1
                while k < across && thick <= maxThick && p[i + (k - line) * acrossStep] > 0.5 { thick += 1; k += 1 }
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
      d.withUnsafeBufferPointer { p in for v in p { hist[min(bins - 1, Int(v * Float(bins - 1) + 0.5))] += 1 } }
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
