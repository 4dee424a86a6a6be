// The preprocessing exactly as it was before it was optimised (commit 917d376), kept
// verbatim as the oracle for PreprocessingGoldenTests: the optimised DigitsCore code must
// compute the same results. Do not "fix" or speed up anything here.
// swiftlint:disable all

enum Reference {
  // MARK: - GrayImage.swift

  /// A grayscale picture in memory: row-major luminance in [0, 1] (0 black, 1 white), any size.
  /// Decoders produce it; the preprocessing turns it into the network's 28x28 input.
  public struct GrayImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [Float]

    public init(width: Int, height: Int, pixels: [Float]) {
      precondition(
        width >= 0 && height >= 0 && pixels.count == width * height,
        "GrayImage \(width)x\(height) needs \(width * height) pixels, got \(pixels.count)")
      self.width = width
      self.height = height
      self.pixels = pixels
    }

    /// A uniform image of one luminance.
    public init(width: Int, height: Int, value: Float) {
      self.init(width: width, height: height, pixels: [Float](repeating: value, count: width * height))
    }

    /// 8-bit luminance bytes (0 black, 255 white).
    public init(width: Int, height: Int, bytes: [UInt8]) {
      self.init(width: width, height: height, pixels: bytes.map { Float($0) * (1.0 / 255.0) })
    }

    public subscript(x: Int, y: Int) -> Float {
      get { pixels[y * width + x] }
      set { pixels[y * width + x] = newValue }
    }

    public var isEmpty: Bool { width == 0 || height == 0 }

    /// The rectangle at (x, y), clamped to the picture.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> GrayImage {
      let x0 = max(0, min(width, x)), y0 = max(0, min(height, y))
      let x1 = max(x0, min(width, x + w)), y1 = max(y0, min(height, y + h))
      var out = [Float]()
      out.reserveCapacity((x1 - x0) * (y1 - y0))
      for row in y0..<y1 { out += pixels[(row * width + x0)..<(row * width + x1)] }
      return GrayImage(width: x1 - x0, height: y1 - y0, pixels: out)
    }

    /// Luminance as bytes, rounded and clamped (for writing files).
    public var bytes: [UInt8] { pixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) } }

    /// The 28x28 network input (ink 1 on black 0, MNIST's polarity) as a picture of the same
    /// polarity, for `--debug-preprocess`.
    public static func networkInput(_ pixels: [Float]) -> GrayImage {
      precondition(pixels.count == 784)
      return GrayImage(width: 28, height: 28, pixels: pixels)
    }
  }

  // MARK: - DigitPreprocessor.swift

  /// Turns a picture of one handwritten digit (photo, scan, drawing, any size, either
  /// polarity) into the 28x28 input the network was trained on, the way MNIST was made:
  ///
  /// 1. luminance -> ink map: polarity detected, paper level estimated per region (uneven
  ///    lighting), contrast normalised, noise below a floor dropped (`InkMap`);
  /// 2. connected components; specks and marks touching the picture's edge dropped when a
  ///    clear digit sits inside; the digit's pieces kept (`selectDigit`);
  /// 3. crop to their bounding box, strokes brought near MNIST's width, scaled to fit 20x20
  ///    keeping the aspect ratio (anti-aliased), centred by centre of mass in 28x28
  ///    (`MNISTLayout`).
  ///
  /// Pure value code with no shared state: call it from any thread. The CLI's `predict` and
  /// the HTTP server use the same instance defaults.
  public struct DigitPreprocessor: Sendable {
    public struct Options: Sendable {
      public var ink = InkMap.Options()
      /// A digit needs at least this many ink pixels (at ink-map resolution)...
      public var minInkPixels = 12
      /// ...and a bounding box whose longer side is at least this fraction of the picture's
      /// longer side (and 6 pixels).
      public var minDigitFraction: Float = 0.03
      /// Bring strokes near MNIST's width (thin pen on a big digit).
      public var adjustStrokes = true
      public init() {}
    }

    public var options: Options
    public init(options: Options = Options()) { self.options = options }

    /// The whole pipeline for one picture.
    public func prepare(_ image: GrayImage) -> PreparedDigit {
      guard !image.isEmpty else { return PreparedDigit(pixels: nil, darkInk: true, note: "empty image") }
      let map = InkMap.focused(image, options: options.ink)
      return prepare(map)
    }

    /// Steps 2 and 3 on an ink map already made.
    public func prepare(_ map: InkMap) -> PreparedDigit {
      if map.contrast < options.ink.minContrast {
        return PreparedDigit(pixels: nil, darkInk: map.darkInk, note: "no ink found (blank or too faint)")
      }
      let parts = InkComponents(map)
      let keep = Self.selectDigit(parts)
      guard let region = InkRegion(parts, keep: keep) else {
        return PreparedDigit(pixels: nil, darkInk: map.darkInk, note: "no ink found (blank or too faint)")
      }
      if let problem = tooLittle(region, map: map) {
        return PreparedDigit(pixels: nil, darkInk: map.darkInk, note: problem)
      }
      return PreparedDigit(
        pixels: layout(region, map: map), darkInk: map.darkInk, note: nil,
        box: region.sourceBox(in: map))
    }

    /// The 28x28 field of one region of an ink map (the CLI's multi-digit reader uses it per digit).
    public func layout(_ region: InkRegion, map: InkMap) -> [Float] {
      let crop = region.crop(map)
      return MNISTLayout.field(
        crop: crop, width: region.width, height: region.height,
        adjustStrokes: options.adjustStrokes)
    }

    /// Why a region is too small to be a digit, or nil.
    func tooLittle(_ region: InkRegion, map: InkMap) -> String? {
      let side = max(region.width, region.height)
      let minSide = max(6, Int(options.minDigitFraction * Float(max(map.width, map.height))))
      if region.area < options.minInkPixels || side < minSide { return "too little ink for a digit" }
      return nil
    }

    /// Indices of the components that make up the digit: the largest one (preferring ones
    /// clear of the picture's edge, since paper edges and shadows touch it), plus pieces
    /// near it (broken strokes) that are more than specks.
    public static func selectDigit(_ parts: InkComponents) -> [Int] {
      let all = parts.components
      guard let largest = all.map(\.area).max(), largest > 0 else { return [] }
      var pool = Array(all.indices)
      let interior = pool.filter { !all[$0].touchesBorder }
      if let bigInterior = interior.map({ all[$0].area }).max(), Float(bigInterior) >= 0.15 * Float(largest) {
        pool = interior
      }
      guard let main = pool.max(by: { all[$0].area < all[$1].area }) else { return [] }
      let m = all[main]
      let size = Float(max(m.width, m.height))
      return pool.filter { i in
        if i == main { return true }
        let c = all[i]
        let gap = Float(max(0, max(c.minX - m.maxX, m.minX - c.maxX), max(c.minY - m.maxY, m.minY - c.maxY)))
        if gap <= 0.5 * size && Float(c.area) >= max(2, 0.02 * Float(m.area)) { return true }
        return Float(c.area) >= 0.5 * Float(m.area)
      }
    }
  }

  /// The result for one picture: the network input, or nil with the reason.
  public struct PreparedDigit: Sendable {
    /// 784 values in [0, 1], ink 1 on black 0 (MNIST's convention); nil when there is no digit.
    public let pixels: [Float]?
    public let darkInk: Bool
    /// Why `pixels` is nil.
    public let note: String?
    /// The digit's bounding box in the source picture's pixels.
    public var box: (x: Int, y: Int, width: Int, height: Int)?

    public init(pixels: [Float]?, darkInk: Bool, note: String?, box: (x: Int, y: Int, width: Int, height: Int)? = nil) {
      self.pixels = pixels
      self.darkInk = darkInk
      self.note = note
      self.box = box
    }
  }

  // MARK: - InkMap.swift

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
        level[cell] = ImageOps.quantile(
          histogram: Array(histograms[(cell * 64)..<((cell + 1) * 64)]), total: counts[cell], 0.8)
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

  // MARK: - ImageOps.swift

  /// Small pixel operations shared by the preprocessing steps. Values are luminance or ink
  /// in [0, 1]; every function is O(pixels).
  enum ImageOps {
    /// Averages `factor` x `factor` blocks (a partial block at the right/bottom edge averages
    /// what it has).
    static func boxShrink(_ image: GrayImage, factor k: Int) -> GrayImage {
      let w = (image.width + k - 1) / k, h = (image.height + k - 1) / k
      var sum = [Float](repeating: 0, count: w * h)
      var count = [Float](repeating: 0, count: w * h)
      image.pixels.withUnsafeBufferPointer { src in
        for y in 0..<image.height {
          let row = (y / k) * w
          for x in 0..<image.width {
            sum[row + x / k] += src[y * image.width + x]
            count[row + x / k] += 1
          }
        }
      }
      for i in sum.indices { sum[i] /= count[i] }
      return GrayImage(width: w, height: h, pixels: sum)
    }

    /// Noise standard deviation from the median absolute difference of horizontal
    /// neighbours (robust to edges, which are few): sigma = 1.4826 * MAD / sqrt(2).
    static func noiseSigma(_ image: GrayImage) -> Float {
      guard image.width >= 2 else { return 0 }
      var histogram = [Int](repeating: 0, count: 256)
      var n = 0
      let step = max(1, image.height / 32)
      image.pixels.withUnsafeBufferPointer { p in
        for y in stride(from: 0, to: image.height, by: step) {
          let row = y * image.width
          for x in 1..<image.width {
            histogram[min(255, Int(abs(p[row + x] - p[row + x - 1]) * 255 + 0.5))] += 1
            n += 1
          }
        }
      }
      return 1.4826 * quantile(histogram: histogram, total: n, 0.5) / Float(2).squareRoot()
    }

    /// 3x3 binomial blur ([1 2 1] / 4 each way), edges clamped.
    static func binomialBlur(_ image: GrayImage) -> GrayImage {
      let w = image.width, h = image.height
      var tmp = [Float](repeating: 0, count: w * h)
      var out = [Float](repeating: 0, count: w * h)
      image.pixels.withUnsafeBufferPointer { p in
        for y in 0..<h {
          let r = y * w
          for x in 0..<w {
            tmp[r + x] = 0.25 * p[r + max(0, x - 1)] + 0.5 * p[r + x] + 0.25 * p[r + min(w - 1, x + 1)]
          }
        }
      }
      for y in 0..<h {
        let up = max(0, y - 1) * w, r = y * w, down = min(h - 1, y + 1) * w
        for x in 0..<w { out[r + x] = 0.25 * tmp[up + x] + 0.5 * tmp[r + x] + 0.25 * tmp[down + x] }
      }
      return GrayImage(width: w, height: h, pixels: out)
    }

    /// The q-quantile of values in [0, 1], to 1/255.
    static func quantile(_ values: [Float], _ q: Double) -> Float {
      var histogram = [Int](repeating: 0, count: 256)
      for v in values { histogram[min(255, max(0, Int(v * 255 + 0.5)))] += 1 }
      return quantile(histogram: histogram, total: values.count, q)
    }

    static func quantile(histogram: [Int], total: Int, _ q: Double) -> Float {
      guard total > 0 else { return 0 }
      let target = Int(Double(total - 1) * q)
      var seen = 0
      for (i, c) in histogram.enumerated() {
        seen += c
        if seen > target { return Float(i) / Float(histogram.count - 1) }
      }
      return 1
    }

    /// Otsu's threshold: the bin that maximises the between-class variance.
    static func otsu(_ histogram: [Int]) -> Int {
      let total = histogram.reduce(0, +)
      guard total > 0 else { return 0 }
      var sumAll = 0.0
      for (i, c) in histogram.enumerated() { sumAll += Double(i * c) }
      var weightBelow = 0.0, sumBelow = 0.0, best = -1.0, threshold = 0
      for (i, c) in histogram.enumerated() {
        weightBelow += Double(c)
        if weightBelow == 0 { continue }
        let weightAbove = Double(total) - weightBelow
        if weightAbove == 0 { break }
        sumBelow += Double(i * c)
        let meanBelow = sumBelow / weightBelow, meanAbove = (sumAll - sumBelow) / weightAbove
        let between = weightBelow * weightAbove * (meanBelow - meanAbove) * (meanBelow - meanAbove)
        if between > best {
          best = between
          threshold = i
        }
      }
      return threshold
    }
  }

  // MARK: - InkComponents.swift

  /// The 8-connected components of an ink map's pixels above a threshold, with their sizes
  /// and bounding boxes: the pieces that speck removal and multi-digit reading reason about.
  public struct InkComponents: Sendable {
    public struct Component: Sendable, Equatable {
      /// Pixels above the threshold.
      public var area: Int
      /// Sum of ink values.
      public var mass: Float
      /// Inclusive bounding box.
      public var minX: Int, minY: Int, maxX: Int, maxY: Int
      public var touchesBorder: Bool

      public var width: Int { maxX - minX + 1 }
      public var height: Int { maxY - minY + 1 }

      mutating func absorb(_ o: Component) {
        area += o.area
        mass += o.mass
        minX = min(minX, o.minX)
        minY = min(minY, o.minY)
        maxX = max(maxX, o.maxX)
        maxY = max(maxY, o.maxY)
        touchesBorder = touchesBorder || o.touchesBorder
      }
    }

    public let width: Int
    public let height: Int
    /// Per pixel: 0 for no component, else the index into `components` plus one.
    public let labels: [Int32]
    public let components: [Component]

    public init(_ map: InkMap, threshold: Float = 0.5) {
      let w = map.width, h = map.height
      var labels = [Int32](repeating: 0, count: w * h)
      // Union-find over provisional labels (0 is "none"); a set's root is its smallest label,
      // so roots come in raster order of first appearance.
      var parent: [Int32] = [0]
      parent.reserveCapacity(256)

      func find(_ a: Int32) -> Int32 {
        var a = a
        while parent[Int(a)] != a {
          parent[Int(a)] = parent[Int(parent[Int(a)])]
          a = parent[Int(a)]
        }
        return a
      }
      func merge(_ a: Int32, _ b: Int32) -> Int32 {
        if b == 0 { return a }
        let rb = find(b)
        if a == 0 { return rb }
        let ra = find(a)
        if ra == rb { return ra }
        if ra < rb {
          parent[Int(rb)] = ra
          return ra
        }
        parent[Int(ra)] = rb
        return rb
      }

      map.ink.withUnsafeBufferPointer { ink in
        for y in 0..<h {
          let row = y * w, up = row - w
          for x in 0..<w where ink[row + x] > threshold {
            // Already visited neighbours: W, NW, N, NE.
            var label: Int32 = 0
            if x > 0 { label = merge(label, labels[row + x - 1]) }
            if y > 0 {
              if x > 0 { label = merge(label, labels[up + x - 1]) }
              label = merge(label, labels[up + x])
              if x < w - 1 { label = merge(label, labels[up + x + 1]) }
            }
            if label == 0 {
              label = Int32(parent.count)
              parent.append(label)
            }
            labels[row + x] = label
          }
        }
      }

      // Dense indices (1-based) in order of first appearance.
      var dense = [Int32](repeating: 0, count: parent.count)
      var count: Int32 = 0
      for l in 1..<max(1, parent.count) {
        let root = find(Int32(l))
        if root == Int32(l) {
          count += 1
          dense[l] = count
        } else {
          dense[l] = dense[Int(root)]
        }
      }
      let n = Int(count)
      var area = [Int](repeating: 0, count: n), mass = [Float](repeating: 0, count: n)
      var minX = [Int](repeating: Int.max, count: n), maxX = [Int](repeating: -1, count: n)
      var minY = [Int](repeating: Int.max, count: n), maxY = [Int](repeating: -1, count: n)
      var border = [Bool](repeating: false, count: n)
      map.ink.withUnsafeBufferPointer { ink in
        labels.withUnsafeMutableBufferPointer { lab in
          for y in 0..<h {
            for x in 0..<w {
              let i = y * w + x
              if lab[i] == 0 { continue }
              let d = dense[Int(lab[i])]
              lab[i] = d
              let c = Int(d) - 1
              area[c] += 1
              mass[c] += ink[i]
              if x < minX[c] { minX[c] = x }
              if x > maxX[c] { maxX[c] = x }
              if y < minY[c] { minY[c] = y }
              maxY[c] = y
              if x == 0 || y == 0 || x == w - 1 || y == h - 1 { border[c] = true }
            }
          }
        }
      }
      self.width = w
      self.height = h
      self.labels = labels
      self.components = (0..<n).map {
        Component(
          area: area[$0], mass: mass[$0], minX: minX[$0], minY: minY[$0], maxX: maxX[$0], maxY: maxY[$0],
          touchesBorder: border[$0])
      }
    }
  }

  // MARK: - InkRegion.swift

  /// Some components of an ink map (optionally only the columns `columns` of them): one digit.
  /// Its crop holds those components' ink plus the faint anti-aliased fringe around them,
  /// and nothing of other components (specks, neighbouring digits).
  public struct InkRegion: Sendable {
    let labels: [Int32]
    let mapWidth: Int
    let keep: [Bool]
    public let columns: Range<Int>
    /// Crop box in ink-map pixels: the kept pixels' bounding box grown by one pixel of fringe.
    public let minX: Int, minY: Int, maxX: Int, maxY: Int
    /// Kept pixels above the component threshold.
    public let area: Int

    public var width: Int { maxX - minX + 1 }
    public var height: Int { maxY - minY + 1 }

    /// nil when the components (within `columns`) hold no pixel.
    public init?(_ parts: InkComponents, keep indices: [Int], columns: Range<Int>? = nil) {
      guard !indices.isEmpty else { return nil }
      var keep = [Bool](repeating: false, count: parts.components.count + 1)
      for i in indices { keep[i + 1] = true }
      let cols = (columns ?? 0..<parts.width).clamped(to: 0..<parts.width)
      let cs = indices.map { parts.components[$0] }
      let x0 = max(cols.lowerBound, cs.map(\.minX).min()!), x1 = min(cols.upperBound - 1, cs.map(\.maxX).max()!)
      let y0 = cs.map(\.minY).min()!, y1 = cs.map(\.maxY).max()!
      guard x0 <= x1 else { return nil }
      var bx0 = Int.max, by0 = Int.max, bx1 = -1, by1 = -1, area = 0
      for y in y0...y1 {
        for x in x0...x1 where keep[Int(parts.labels[y * parts.width + x])] {
          area += 1
          bx0 = min(bx0, x)
          bx1 = max(bx1, x)
          by0 = min(by0, y)
          by1 = max(by1, y)
        }
      }
      guard area > 0 else { return nil }
      self.labels = parts.labels
      self.mapWidth = parts.width
      self.keep = keep
      self.columns = cols
      self.area = area
      minX = max(cols.lowerBound, bx0 - 1)
      maxX = min(cols.upperBound - 1, bx1 + 1)
      minY = max(0, by0 - 1)
      maxY = min(parts.height - 1, by1 + 1)
    }

    /// The region's ink, `width` x `height`, row-major.
    public func crop(_ map: InkMap) -> [Float] {
      var out = [Float](repeating: 0, count: width * height)
      let h = map.height
      for y in minY...maxY {
        for x in minX...maxX {
          let i = y * mapWidth + x
          let v = map.ink[i]
          if v <= 0 { continue }
          var take = keep[Int(labels[i])]
          if !take && labels[i] == 0 {
            // Fringe: below the threshold but touching a kept pixel.
            outer: for yy in max(0, y - 1)...min(h - 1, y + 1) {
              for xx in max(columns.lowerBound, x - 1)...min(columns.upperBound - 1, x + 1)
              where keep[Int(labels[yy * mapWidth + xx])] {
                take = true
                break outer
              }
            }
          }
          if take { out[(y - minY) * width + x - minX] = v }
        }
      }
      return out
    }

    /// The crop box in the source picture's pixels.
    public func sourceBox(in map: InkMap) -> (x: Int, y: Int, width: Int, height: Int) {
      (map.origin.x + minX * map.shrink, map.origin.y + minY * map.shrink, width * map.shrink, height * map.shrink)
    }
  }

  // MARK: - Strokes.swift

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

  // MARK: - MNISTLayout.swift

  /// Lays a cropped digit out the way MNIST was built: scaled (anti-aliased, aspect kept) to
  /// fit a 20x20 box, then placed in a 28x28 field so that its centre of mass sits where
  /// MNIST's digits have theirs. Stroke width is brought near MNIST's first, because a thin
  /// pen line on a large digit would otherwise shrink to a faint hairline.
  public enum MNISTLayout {
    public static let side = 28
    public static let box = 20
    /// Work resolution while adjusting strokes, as a multiple of the final size.
    static let oversample = 4
    /// Mean centre of mass of MNIST's training digits in pixel-index coordinates: (14.01,
    /// 14.00) over every 10th of the 60,000 (PredictTests' MNISTLayoutConstantsTests checks it).
    public static let centre: (x: Float, y: Float) = (14, 14)
    /// Median stroke width (`Strokes.width`) of MNIST's training digits at the work
    /// resolution (oversample x the 20 px box): 9.4 px; 10% are below 6.7, 10% above 13.1.
    public static let targetStrokeWidth: Float = 9.4

    /// `crop` holds ink (0...1) of `width` x `height` pixels, already cut to the digit. Returns
    /// 784 values, ink 1 on black 0.
    public static func field(
      crop: [Float], width: Int, height: Int, adjustStrokes: Bool = true,
      strokeTarget: Float = targetStrokeWidth, centre: (x: Float, y: Float) = centre
    ) -> [Float] {
      precondition(crop.count == width * height && width > 0 && height > 0)
      let scale = Float(box) / Float(max(width, height))
      let ow = max(1, Int((Float(width) * scale * Float(oversample)).rounded()))
      let oh = max(1, Int((Float(height) * scale * Float(oversample)).rounded()))
      var work = Resample.area(crop, width: width, height: height, toWidth: ow, toHeight: oh)
      if adjustStrokes { Strokes.normalize(&work, width: ow, height: oh, target: strokeTarget) }
      let fw = max(1, Int((Float(ow) / Float(oversample)).rounded()))
      let fh = max(1, Int((Float(oh) / Float(oversample)).rounded()))
      var small = Resample.area(work, width: ow, height: oh, toWidth: fw, toHeight: fh)
      if let peak = small.max(), peak > 0 { for i in small.indices { small[i] = min(1, small[i] / peak) } }
      return place(small, width: fw, height: fh, centre: centre)
    }

    /// Puts a small image into the 28x28 field, centre of mass on `centre` (whole pixels,
    /// as MNIST did), kept fully inside the field.
    static func place(_ image: [Float], width: Int, height: Int, centre: (x: Float, y: Float)) -> [Float] {
      var mass: Float = 0, mx: Float = 0, my: Float = 0
      for y in 0..<height {
        for x in 0..<width {
          let v = image[y * width + x]
          mass += v
          mx += v * Float(x)
          my += v * Float(y)
        }
      }
      let cx = mass > 0 ? mx / mass : Float(width - 1) / 2
      let cy = mass > 0 ? my / mass : Float(height - 1) / 2
      let ox = max(0, min(side - width, Int((centre.x - cx).rounded())))
      let oy = max(0, min(side - height, Int((centre.y - cy).rounded())))
      var out = [Float](repeating: 0, count: side * side)
      for y in 0..<height {
        for x in 0..<width { out[(y + oy) * side + x + ox] = image[y * width + x] }
      }
      return out
    }
  }

  /// Separable area-weighted resampling: each output pixel averages the input area it covers
  /// (box filter with fractional edges), which anti-aliases when shrinking and replicates
  /// when enlarging.
  public enum Resample {
    public static func area(_ src: [Float], width sw: Int, height sh: Int, toWidth dw: Int, toHeight dh: Int) -> [Float]
    {
      if sw == dw && sh == dh { return src }
      let xs = weights(from: sw, to: dw), ys = weights(from: sh, to: dh)
      var rows = [Float](repeating: 0, count: dw * sh)
      for y in 0..<sh {
        for (x, taps) in xs.enumerated() {
          var s: Float = 0
          for (i, wgt) in taps { s += src[y * sw + i] * wgt }
          rows[y * dw + x] = s
        }
      }
      var out = [Float](repeating: 0, count: dw * dh)
      for (y, taps) in ys.enumerated() {
        for (i, wgt) in taps {
          for x in 0..<dw { out[y * dw + x] += rows[i * dw + x] * wgt }
        }
      }
      return out
    }

    /// For each output index, the input indices it overlaps and their normalised weights.
    static func weights(from n: Int, to m: Int) -> [[(Int, Float)]] {
      let step = Double(n) / Double(m)
      return (0..<m).map { j in
        let a = Double(j) * step, b = Double(j + 1) * step
        var taps: [(Int, Float)] = []
        var i = Int(a.rounded(.down))
        while Double(i) < b && i < n {
          let overlap = min(b, Double(i + 1)) - max(a, Double(i))
          if overlap > 1e-9 { taps.append((i, Float(overlap / step))) }
          i += 1
        }
        return taps
      }
    }
  }

  // MARK: - ImageDecoder.swift (luminance)

  enum ImageDecoder {
    /// Interleaved samples -> luminance in [0, 1], alpha composited on white.
    static func luminance<T: BinaryInteger>(
      _ samples: UnsafeBufferPointer<T>, width: Int, height: Int,
      channels: Int, scale: Float
    ) -> GrayImage {
      let n = width * height
      var out = [Float](repeating: 1, count: n)
      out.withUnsafeMutableBufferPointer { o in
        switch channels {
        case 1 where scale == 1.0 / 255.0:
          let table = (0..<256).map { Float($0) * scale }
          for i in 0..<n { o[i] = table[Int(samples[i])] }
        case 1:
          for i in 0..<n { o[i] = Float(samples[i]) * scale }
        case 2:
          for i in 0..<n {
            let g = Float(samples[2 * i]) * scale, a = Float(samples[2 * i + 1]) * scale
            o[i] = g * a + (1 - a)
          }
        case 3:
          for i in 0..<n {
            let r = Float(samples[3 * i]), g = Float(samples[3 * i + 1]), b = Float(samples[3 * i + 2])
            o[i] = (0.299 * r + 0.587 * g + 0.114 * b) * scale
          }
        default:
          for i in 0..<n {
            let r = Float(samples[4 * i]), g = Float(samples[4 * i + 1]), b = Float(samples[4 * i + 2])
            let a = Float(samples[4 * i + 3]) * scale
            o[i] = (0.299 * r + 0.587 * g + 0.114 * b) * scale * a + (1 - a)
          }
        }
        if channels > 1 { for i in 0..<n { o[i] = min(1, max(0, o[i])) } }
      }
      return GrayImage(width: width, height: height, pixels: out)
    }
  }
}
