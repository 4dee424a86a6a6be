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
    if !dark { for i in x.indices { x[i] = 1 - x[i] } }
    let paper = paperLevel(x, width: w, height: h, cells: options.backgroundCells)
    var d = [Float](repeating: 0, count: w * h)
    for i in d.indices { d[i] = max(0, paper[i] - x[i]) }

    let inkLevel = typicalInk(d)
    guard inkLevel >= options.minContrast else {
      return InkMap(width: w, height: h, ink: [Float](repeating: 0, count: w * h), darkInk: dark, contrast: inkLevel,
                    shrink: factor)
    }
    let lo = options.noiseFloor * inkLevel, hi = options.fullInk * inkLevel
    let gain = 1 / (hi - lo)
    for i in d.indices { d[i] = min(1, max(0, (d[i] - lo) * gain)) }
    return InkMap(width: w, height: h, ink: d, darkInk: dark, contrast: inkLevel, shrink: factor)
  }

  /// The border is mostly paper: ink is on the side of the border's median luminance that
  /// holds more (mass times distance) of the clearly different pixels. Ties mean dark ink.
  static func darkInkLikely(_ image: GrayImage) -> Bool {
    let w = image.width, h = image.height
    let ring = max(1, min(w, h) / 16)
    var border: [Float] = []
    border.reserveCapacity(2 * ring * (w + h))
    for y in 0..<h {
      let rowIsBorder = y < ring || y >= h - ring
      for x in 0..<w where rowIsBorder || x < ring || x >= w - ring { border.append(image.pixels[y * w + x]) }
    }
    let b = ImageOps.quantile(border, 0.5)
    var darker: Float = 0, lighter: Float = 0
    for v in image.pixels {
      let diff = v - b
      if diff < -0.1 { darker -= diff + 0.1 } else if diff > 0.1 { lighter += diff - 0.1 }
    }
    return darker >= lighter
  }

  /// Paper luminance under every pixel: a bright quantile per cell, the brightest of each
  /// cell's 3x3 neighbourhood (so cells filled by a thick stroke take their neighbours'
  /// paper), bilinear between cell centres.
  static func paperLevel(_ x: [Float], width w: Int, height h: Int, cells: Int) -> [Float] {
    let side = max(4, (max(w, h) + cells - 1) / cells)
    let nx = (w + side - 1) / side, ny = (h + side - 1) / side
    var level = [Float](repeating: 1, count: nx * ny)
    var histograms = [Int](repeating: 0, count: nx * ny * 64)
    x.withUnsafeBufferPointer { p in
      for y in 0..<h {
        let rowCells = (y / side) * nx
        for xx in 0..<w { histograms[(rowCells + xx / side) * 64 + min(63, Int(p[y * w + xx] * 63 + 0.5))] += 1 }
      }
    }
    for cell in 0..<(nx * ny) {
      let cx = cell % nx, cy = cell / nx
      let total = (min(w, (cx + 1) * side) - cx * side) * (min(h, (cy + 1) * side) - cy * side)
      level[cell] = ImageOps.quantile(histogram: Array(histograms[(cell * 64)..<((cell + 1) * 64)]), total: total, 0.8)
    }
    var dilated = level
    for cy in 0..<ny {
      for cx in 0..<nx {
        var m: Float = 0
        for yy in max(0, cy - 1)...min(ny - 1, cy + 1) {
          for xx in max(0, cx - 1)...min(nx - 1, cx + 1) { m = max(m, level[yy * nx + xx]) }
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
    for y in 0..<h {
      let f = max(0, min(Float(ny - 1), (Float(y) + 0.5) * inv - 0.5))
      let r0 = Int(f), r1 = min(ny - 1, Int(f) + 1), t = f - Float(Int(f))
      for xx in 0..<w {
        let a = dilated[r0 * nx + col0[xx]] * (1 - colT[xx]) + dilated[r0 * nx + col1[xx]] * colT[xx]
        let b = dilated[r1 * nx + col0[xx]] * (1 - colT[xx]) + dilated[r1 * nx + col1[xx]] * colT[xx]
        out[y * w + xx] = a * (1 - t) + b * t
      }
    }
    return out
  }

  /// The darkness of typical ink in `d` (paper minus luminance): Otsu's threshold splits
  /// ink from paper, then the 90th percentile of the ink side (robust to a few dark specks).
  static func typicalInk(_ d: [Float]) -> Float {
    let bins = 256
    var histogram = [Int](repeating: 0, count: bins)
    for v in d { histogram[min(bins - 1, Int(v * Float(bins - 1) + 0.5))] += 1 }
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
