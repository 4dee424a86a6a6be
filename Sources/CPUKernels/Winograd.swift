/// A 3x3 valid convolution followed by ReLU and 2x2 max pooling, by Winograd's minimal
/// filtering F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
/// CVPR 2016): a 2x2 output tile is A^T [(G g G^T) . (B^T d B)] A for the 4x4 input tile d
/// under it, 16 multiplies per input channel where the direct form needs 36. Each output tile
/// is one pooling window, so the tiles are the pooled outputs and the output row and column
/// the pooling drops are never computed.
///
/// The 16 products over channels are 16 GEMMs (tiles x C) * (C x K), run by the same
/// micro-kernel as every other GEMM, on a few images at a time so that the transformed inputs
/// and products of a chunk stay in L2. Transforms run on 16 channels (or filters) a vector,
/// from a pixel-major copy of the input.
///
/// Rounding: the transforms add at most 4 inputs (B^T, A^T) and take halves of sums of 3
/// weights (G), so each output is a sum of 16 C products whose magnitudes add up to no more
/// than 4x those of the direct form's 9 C; the probabilistic bound of `DerivedTolerance.gemm`
/// (which scales with the square root of the terms and their sum) holds with room to spare.
struct WinogradPlan {
  let g: ConvGeometry
  /// Pooled (and tiled) rows and columns.
  let ph: Int, pw: Int
  /// Channels and filters rounded up to whole 16-lane vectors.
  let cp: Int, kp: Int

  /// Images transformed and multiplied together: 3 of the seed network's second layer are 75
  /// tiles (13 GEMM row tiles, the last half full) and about 0.5 MB of scratch.
  static let chunk = 3

  init(_ g: ConvGeometry) {
    self.g = g
    (ph, pw) = (g.oh / 2, g.ow / 2)
    cp = (g.c + 15) / 16 * 16
    kp = (g.k + 15) / 16 * 16
  }

  var tilesPerImage: Int { ph * pw }
  /// Transformed filters: for each of the 16 positions, K/16 GEMM B panels of C rows.
  var filterFloats: Int { 16 * kp * g.c }
  /// One thread's pixel-major images, transformed tiles, products and pooled windows.
  var scratchFloats: Int {
    let tiles = Self.chunk * tilesPerImage
    return Self.chunk * g.h * g.w * cp + 16 * tiles * cp + 16 * tiles * kp + tilesPerImage * kp + 16
  }

  /// U = G w G^T for every (filter, channel), stored as position e's GEMM B: panel q holds
  /// U_e[c, 16q + l] at ((e * panels + q) * C + c) * 16 + l, zero past K.
  /// Filters `filters` of them; the lanes past K must be zero already.
  func transformFilters(_ w: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>, filters: Range<Int>) {
    let panels = kp / 16
    for o in filters {
      for ch in 0..<g.c {
        let f = w + (o * g.c + ch) * 9
        // Row i of G f is a combination of the rows of f; U's row i is G applied to it.
        @inline(__always) func put(_ i: Int, _ t0: Float, _ t1: Float, _ t2: Float) {
          let row = (t0, 0.5 * (t0 + t1 + t2), 0.5 * (t0 - t1 + t2), t2)
          let base = ((i * 4 * panels + o / 16) * g.c + ch) * 16 + o % 16, step = panels * g.c * 16
          u[base] = row.0
          u[base + step] = row.1
          u[base + 2 * step] = row.2
          u[base + 3 * step] = row.3
        }
        put(0, f[0], f[1], f[2])
        put(1, 0.5 * (f[0] + f[3] + f[6]), 0.5 * (f[1] + f[4] + f[7]), 0.5 * (f[2] + f[5] + f[8]))
        put(2, 0.5 * (f[0] - f[3] + f[6]), 0.5 * (f[1] - f[4] + f[7]), 0.5 * (f[2] - f[5] + f[8]))
        put(3, f[6], f[7], f[8])
      }
    }
  }

  /// Pooled outputs y[image, K, PH, PW] = maxPool2(ReLU(conv(x) + b)) for `images` images
  /// from x (NCHW), filters transformed by `transformFilters`.
  func forward(
    _ x: UnsafePointer<Float>, images: Int, filters u: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
    gemmScratch: UnsafeMutablePointer<Float>
  ) {
    let pixels = g.h * g.w, tiles = images * tilesPerImage
    let hwc = scratch
    let v = hwc + Self.chunk * pixels * cp
    let m = v + 16 * Self.chunk * tilesPerImage * cp
    let windows = m + 16 * Self.chunk * tilesPerImage * kp
    for j in 0..<images {
      let image = hwc + j * pixels * cp
      Transpose.run(x + j * g.inputSize, srcStride: pixels, rows: g.c, cols: pixels, image, dstStride: cp)
      transformInputs(image, into: v + j * tilesPerImage * cp, rowStride: tiles * cp)
    }
    // The 16 products over channels, each a GEMM (tiles x C) * (C x K).
    var job = GEMMJob(m: tiles, n: g.k, k: g.c, a: v, b: u, c: m)
    job.aRowStride = cp
    job.aColStride = 1
    job.bPacked = true
    job.cRowStride = kp
    for e in 0..<16 {
      job.a = UnsafePointer(v + e * tiles * cp)
      job.b = u + e * (kp / 16) * g.c * 16
      job.c = m + e * tiles * kp
      job.run(mTiles: 0..<job.mTiles, panels: 0..<job.panels, scratch: gemmScratch)
    }
    for j in 0..<images {
      inverseAndPool(m + j * tilesPerImage * kp, rowStride: tiles * kp, bias: bias, into: windows)
      Transpose.run(
        windows, srcStride: kp, rows: tilesPerImage, cols: g.k, y + j * g.k * tilesPerImage,
        dstStride: tilesPerImage)
    }
  }

  /// V_e[tile, c] = (B^T d B)[e] for the 4x4 input tile d of every output tile of one image
  /// held pixel-major (`image[pixel * cp + c]`); position e's rows start at `v + e * rowStride`.
  @inline(never)  // small enough on its own for its vector loads to be inlined
  func transformInputs(_ image: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>, rowStride: Int) {
    typealias V = SIMD16<Float>
    for r in 0..<ph {
      for q in 0..<pw {
        let corner = image + ((2 * r) * g.w + 2 * q) * cp, out = v + (r * pw + q) * cp
        for c in stride(from: 0, to: cp, by: 16) {
          @inline(__always) func d(_ i: Int, _ j: Int) -> V {
            load16(corner + (i * g.w + j) * cp + c)
          }
          // (B^T d B) row i from row i of B^T d, which is a sum or difference of two rows of d.
          @inline(__always) func row(_ i: Int, _ a: Int, _ b: Int, _ sign: Float) {
            let s0 = d(a, 0) + sign * d(b, 0), s1 = d(a, 1) + sign * d(b, 1)
            let s2 = d(a, 2) + sign * d(b, 2), s3 = d(a, 3) + sign * d(b, 3)
            store(s0 - s2, out + (4 * i) * rowStride + c)
            store(s1 + s2, out + (4 * i + 1) * rowStride + c)
            store(s2 - s1, out + (4 * i + 2) * rowStride + c)
            store(s1 - s3, out + (4 * i + 3) * rowStride + c)
          }
          row(0, 0, 2, -1)  // d0 - d2
          row(1, 1, 2, 1)  // d1 + d2
          row(2, 2, 1, -1)  // d2 - d1
          row(3, 1, 3, -1)  // d1 - d3
        }
      }
    }
  }

  /// The 2x2 output tile A^T M A of every tile of one image (M_e[tile, k] at
  /// `m + e * rowStride + tile * kp + k`), then its maximum, plus the bias, through ReLU: the
  /// pooled output, pixel-major into `windows[tile * kp + k]`. The maximum comes before the
  /// bias and ReLU, which are increasing, so the result is theirs of each value then pooled.
  @inline(never)  // small enough on its own for its vector loads to be inlined
  func inverseAndPool(
    _ m: UnsafePointer<Float>, rowStride: Int, bias: UnsafePointer<Float>, into windows: UnsafeMutablePointer<Float>
  ) {
    typealias V = SIMD16<Float>
    for t in 0..<tilesPerImage {
      for k in stride(from: 0, to: kp, by: 16) {
        @inline(__always) func p(_ e: Int) -> V {
          load16(m + e * rowStride + t * kp + k)
        }
        // A^T M: row 0 = M0 + M1 + M2, row 1 = M1 - M2 - M3 (rows of M are positions 4i..4i+3).
        @inline(__always) func rows(_ j: Int) -> (V, V) {
          let (m0, m1, m2, m3) = (p(j), p(4 + j), p(8 + j), p(12 + j))
          return (m0 + m1 + m2, m1 - m2 - m3)
        }
        let (a0, b0) = rows(0), (a1, b1) = rows(1), (a2, b2) = rows(2), (a3, b3) = rows(3)
        var best = V(repeating: -.infinity)
        @inline(__always) func consider(_ y: V) { best.replace(with: y, where: y .> best) }
        consider(a0 + a1 + a2)
        consider(a1 - a2 - a3)
        consider(b0 + b1 + b2)
        consider(b1 - b2 - b3)
        var b = V()
        let lanes = min(16, g.k - k)
        if lanes == 16 {
          b = load16(bias + k)
        } else {
          for l in 0..<lanes { b[l] = bias[k + l] }
        }
        let out = best + b
        store(out.replacing(with: 0, where: out .< 0), windows + t * kp + k)
      }
    }
  }

  @inline(__always)
  private func store(_ value: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    store16(value, p)
  }
}
