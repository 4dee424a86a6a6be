import DigitsCore

/// Small pixel operations shared by the preprocessing steps. Values are luminance or ink
/// in [0, 1]; every function is O(pixels).
///
/// The loops run on buffer pointers (no per-pixel bounds or exclusivity checks) but keep
/// the arithmetic, and the order of every float sum, of the straightforward versions, so
/// results are bit-identical to them (PredictTests' PreprocessingGoldenTests checks).
enum ImageOps {
  /// Averages `factor` x `factor` blocks (a partial block at the right/bottom edge averages
  /// what it has).
  static func boxShrink(_ image: GrayImage, factor k: Int) -> GrayImage {
    let sw = image.width, sh = image.height
    let w = (sw + k - 1) / k, h = (sh + k - 1) / k
    var out = [Float](repeating: 0, count: w * h)
    image.pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { sum in
        for oy in 0..<h {
          let rows = min(k, sh - oy * k)
          let acc = UnsafeMutableBufferPointer(rebasing: sum[(oy * w)..<((oy + 1) * w)])
          // Each block's pixels are added row by row, left to right: the order of a plain
          // raster-order pass, so the sums are the same.
          for y in (oy * k)..<(oy * k + rows) {
            let row = UnsafeBufferPointer(rebasing: src[(y * sw)..<((y + 1) * sw)])
            if k == 2 && sw % 2 == 0 {
              for ox in 0..<w { acc[ox] = acc[ox] + row[2 * ox] + row[2 * ox + 1] }
            } else {
              for ox in 0..<w {
                var s = acc[ox]
                for x in (ox * k)..<min(sw, ox * k + k) { s += row[x] }
                acc[ox] = s
              }
            }
          }
          // Full blocks share one divisor (a vectorised division); a partial one at the end.
          let full = sw / k
          divide(acc.baseAddress!, full, by: Float(rows * k))
          if full < w { acc[full] /= Float(rows * (sw - full * k)) }
        }
      }
    }
    return GrayImage(width: w, height: h, pixels: out)
  }

  /// values[i] /= d for `count` values (out of line so that it vectorises).
  @inline(never)
  static func divide(_ values: UnsafeMutablePointer<Float>, _ count: Int, by d: Float) {
    for i in 0..<count { values[i] = values[i] / d }
  }

  /// Noise standard deviation from the median absolute difference of horizontal
  /// neighbours (robust to edges, which are few): sigma = 1.4826 * MAD / sqrt(2).
  static func noiseSigma(_ image: GrayImage) -> Float {
    guard image.width >= 2 else { return 0 }
    var histogram = [Int](repeating: 0, count: 256)
    var n = 0
    let step = max(1, image.height / 32)
    image.pixels.withUnsafeBufferPointer { p in
      histogram.withUnsafeMutableBufferPointer { hist in
        for y in stride(from: 0, to: image.height, by: step) {
          let row = p.baseAddress! + y * image.width
          var x = 1
          // 16 differences at once where 17 pixels are equal (paper): all are 0, bin 0.
          while x + 16 <= image.width {
            if row[x - 1] == row[x + 15] && isUniform(row + x - 1, 17) {
              hist[0] += 16
            } else {
              for i in x..<(x + 16) { hist[min(255, Int(abs(row[i] - row[i - 1]) * 255 + 0.5))] += 1 }
            }
            x += 16
          }
          while x < image.width {
            hist[min(255, Int(abs(row[x] - row[x - 1]) * 255 + 0.5))] += 1
            x += 1
          }
          n += image.width - 1
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
      tmp.withUnsafeMutableBufferPointer { t in
        for y in 0..<h {
          let r = y * w
          for x in 0..<w {
            t[r + x] = 0.25 * p[r + max(0, x - 1)] + 0.5 * p[r + x] + 0.25 * p[r + min(w - 1, x + 1)]
          }
        }
      }
    }
    tmp.withUnsafeBufferPointer { t in
      out.withUnsafeMutableBufferPointer { o in
        for y in 0..<h {
          let up = max(0, y - 1) * w, r = y * w, down = min(h - 1, y + 1) * w
          for x in 0..<w { o[r + x] = 0.25 * t[up + x] + 0.5 * t[r + x] + 0.25 * t[down + x] }
        }
      }
    }
    return GrayImage(width: w, height: h, pixels: out)
  }

  static func quantile(histogram: [Int], total: Int, _ q: Double) -> Float {
    histogram.withUnsafeBufferPointer { quantile(histogram: $0, total: total, q) }
  }

  /// The same for a histogram held elsewhere (one cell's bins in a larger array).
  static func quantile<Count: BinaryInteger>(histogram: UnsafeBufferPointer<Count>, total: Int, _ q: Double) -> Float {
    guard total > 0 else { return 0 }
    let target = Int(Double(total - 1) * q)
    var seen = 0
    for i in histogram.indices {
      seen += Int(histogram[i])
      if seen > target { return Float(i) / Float(histogram.count - 1) }
    }
    return 1
  }

  /// Adds one to `histogram[bin(v)]` for every value. Runs of equal values (paper) are
  /// counted 16 at a time; the rest go to four interleaved sub-histograms, so that
  /// neighbouring pixels in one bin do not wait on the same counter's previous increment.
  @inline(__always)
  static func histogram(
    _ values: UnsafeBufferPointer<Float>, into histogram: UnsafeMutableBufferPointer<Int>,
    bin: (Float) -> Int
  ) {
    guard let v = values.baseAddress else { return }
    let bins = histogram.count, n = values.count
    var parts = [Int](repeating: 0, count: 4 * bins)
    parts.withUnsafeMutableBufferPointer { h in
      var i = 0
      while i + 16 <= n {
        // (The first and last differ in noisy pictures: no need to test the rest.)
        if v[i] == v[i + 15] && isUniform(v + i, 16) {
          h[bin(v[i])] += 16
        } else {
          for j in stride(from: i, to: i + 16, by: 4) {
            h[bin(v[j])] += 1
            h[bins + bin(v[j + 1])] += 1
            h[2 * bins + bin(v[j + 2])] += 1
            h[3 * bins + bin(v[j + 3])] += 1
          }
        }
        i += 16
      }
      while i < n {
        h[bin(v[i])] += 1
        i += 1
      }
      for b in 0..<bins { histogram[b] += h[b] + h[bins + b] + h[2 * bins + b] + h[3 * bins + b] }
    }
  }

  // Chunk tests for skipping paper. Each is a branch-free loop over a pointer and a count,
  // kept out of line: compiled alone it vectorises, while inlined into a caller's loop the
  // optimiser turns it into a scalar early-exit search.

  /// Whether the `count` (at least 1) values at `p` all equal the first (as floats: +0 and
  /// -0 are equal, which no caller tells apart).
  @inline(never)
  static func isUniform(_ p: UnsafePointer<Float>, _ count: Int) -> Bool {
    let first = p[0]
    var differ: UInt32 = 0
    for j in 0..<count { differ |= p[j] == first ? 0 : 1 }
    return differ == 0
  }

  /// Whether the `count` values at `p` are all zero (+0 or -0).
  @inline(never)
  static func allZero(_ p: UnsafePointer<Float>, _ count: Int) -> Bool {
    var differ: UInt32 = 0
    for j in 0..<count { differ |= p[j] == 0 ? 0 : 1 }
    return differ == 0
  }

  /// Whether the `count` labels at `p` are all zero.
  @inline(never)
  static func allZero(_ p: UnsafePointer<Int32>, _ count: Int) -> Bool {
    var bits: Int32 = 0
    for j in 0..<count { bits |= p[j] }
    return bits == 0
  }

  /// Whether one of the `count` values at `p` is above `threshold` (or NaN: false only
  /// when every value is at most `threshold`, so a caller may skip the chunk).
  @inline(never)
  static func anyAbove(_ p: UnsafePointer<Float>, _ count: Int, _ threshold: Float) -> Bool {
    var above: UInt32 = 0
    for j in 0..<count { above |= p[j] <= threshold ? 0 : 1 }
    return above != 0
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
