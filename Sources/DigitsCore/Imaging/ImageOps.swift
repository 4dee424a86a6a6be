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
