/// Direct convolution along output rows, for layers with few input channels (the first layer:
/// C = 1, 9 taps). Their GEMMs have a reduction too short to amortise a tile's stores, and
/// the layout changes around them cost more than the arithmetic; here output rows are vectors
/// in place. A row of OW outputs is covered by 8-wide vectors at 0, 8, 16, ... and OW - 8 (the
/// last one overlaps the previous one when 8 does not divide OW), so rows need OW >= 8.
extension ConvGeometry {
  /// Whether the direct kernels are the faster choice for this shape.
  var prefersDirect: Bool { c <= 4 && ow >= 8 }

  /// Start of vector v of an output row.
  @inline(__always)
  func position(_ v: Int) -> Int { min(8 * v, ow - 8) }

  var vectorsPerRow: Int { (ow + 7) / 8 }

  /// y[i] = conv(x[i], w) + b (then ReLU) for one image: 4 output channels x 2 row vectors
  /// per register tile (8 accumulators, 2 input vectors and a broadcast weight: larger tiles
  /// spill on AVX2's 16 registers).
  func directForward(
    _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ y: UnsafeMutablePointer<Float>, relu: Bool
  ) {
    let taps = c * 9
    for o0 in stride(from: 0, to: k, by: 4) {
      // Channels past K repeat the last one (computed twice, stored twice, same values).
      let o1 = min(o0 + 1, k - 1), o2 = min(o0 + 2, k - 1), o3 = min(o0 + 3, k - 1)
      let w0 = weight + o0 * taps, w1 = weight + o1 * taps, w2 = weight + o2 * taps, w3 = weight + o3 * taps
      let b0 = SIMD8<Float>(repeating: b[o0]), b1 = SIMD8<Float>(repeating: b[o1])
      let b2 = SIMD8<Float>(repeating: b[o2]), b3 = SIMD8<Float>(repeating: b[o3])
      for r in 0..<oh {
        for v0 in stride(from: 0, to: vectorsPerRow, by: 2) {
          let qa = position(v0), qb = position(v0 + 1)
          var a0 = b0, a1 = b1, a2 = b2, a3 = b3
          var c0 = b0, c1 = b1, c2 = b2, c3 = b3
          for ch in 0..<c {
            for dr in 0..<3 {
              let row = x + (ch * h + r + dr) * w
              for dq in 0..<3 {
                let t = (ch * 3 + dr) * 3 + dq
                let xa = load8(row + dq + qa), xb = load8(row + dq + qb)
                var s = SIMD8<Float>(repeating: w0[t])
                a0 = a0.mulAdd(xa, s)
                c0 = c0.mulAdd(xb, s)
                s = SIMD8<Float>(repeating: w1[t])
                a1 = a1.mulAdd(xa, s)
                c1 = c1.mulAdd(xb, s)
                s = SIMD8<Float>(repeating: w2[t])
                a2 = a2.mulAdd(xa, s)
                c2 = c2.mulAdd(xb, s)
                s = SIMD8<Float>(repeating: w3[t])
                a3 = a3.mulAdd(xa, s)
                c3 = c3.mulAdd(xb, s)
              }
            }
          }
          let y0 = y + (o0 * oh + r) * ow, y1 = y + (o1 * oh + r) * ow
          let y2 = y + (o2 * oh + r) * ow, y3 = y + (o3 * oh + r) * ow
          Self.put(a0, y0 + qa, relu)
          Self.put(c0, y0 + qb, relu)
          Self.put(a1, y1 + qa, relu)
          Self.put(c1, y1 + qb, relu)
          Self.put(a2, y2 + qa, relu)
          Self.put(c2, y2 + qb, relu)
          Self.put(a3, y3 + qa, relu)
          Self.put(c3, y3 + qb, relu)
        }
      }
    }
  }

  @inline(__always)
  static func put(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ relu: Bool) {
    store8(relu ? v.replacing(with: 0, where: v .< 0) : v, p)
  }

  /// Adds one image's dw contribution, as 8-lane partial sums: for 3 output channels x the 3
  /// taps (ch, dr, 0...2), sum over rows and row vectors of dy[o, r, vector] * x[ch, r+dr,
  /// vector + dq]. `partial` holds 9 SIMD8 per (channel group, (ch, dr)) pair; `lanes` is
  /// the col2im mask table (it zeroes the lanes where the last vector overlaps the previous).
  func directWeightGrad(
    _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ partial: UnsafeMutablePointer<Float>,
    lanes: UnsafePointer<Int32>
  ) {
    let vectors = vectorsPerRow
    // Lanes of the last vector that the previous vectors already covered read as zero.
    let lastMask = UnsafeRawPointer(lanes + 16 - (8 * (vectors - 1) - position(vectors - 1))).loadUnaligned(
      as: SIMD8<Int32>.self)
    var slot = partial
    for o0 in stride(from: 0, to: k, by: 3) {
      let d0 = dy + o0 * pixels, d1 = dy + min(o0 + 1, k - 1) * pixels, d2 = dy + min(o0 + 2, k - 1) * pixels
      for ch in 0..<c {
        for dr in 0..<3 {
          var a0 = load8(slot), a1 = load8(slot + 8), a2 = load8(slot + 16)
          var a3 = load8(slot + 24), a4 = load8(slot + 32), a5 = load8(slot + 40)
          var a6 = load8(slot + 48), a7 = load8(slot + 56), a8 = load8(slot + 64)
          for r in 0..<oh {
            let xr = x + (ch * h + r + dr) * w, row = r * ow
            for v in 0..<vectors {
              let q = position(v)
              var g0 = load8(d0 + row + q), g1 = load8(d1 + row + q), g2 = load8(d2 + row + q)
              if v == vectors - 1 {
                g0 = Self.masked(g0, lastMask)
                g1 = Self.masked(g1, lastMask)
                g2 = Self.masked(g2, lastMask)
              }
              let x0 = load8(xr + q), x1 = load8(xr + q + 1), x2 = load8(xr + q + 2)
              a0 = a0.mulAdd(g0, x0)
              a1 = a1.mulAdd(g0, x1)
              a2 = a2.mulAdd(g0, x2)
              a3 = a3.mulAdd(g1, x0)
              a4 = a4.mulAdd(g1, x1)
              a5 = a5.mulAdd(g1, x2)
              a6 = a6.mulAdd(g2, x0)
              a7 = a7.mulAdd(g2, x1)
              a8 = a8.mulAdd(g2, x2)
            }
          }
          store8(a0, slot)
          store8(a1, slot + 8)
          store8(a2, slot + 16)
          store8(a3, slot + 24)
          store8(a4, slot + 32)
          store8(a5, slot + 40)
          store8(a6, slot + 48)
          store8(a7, slot + 56)
          store8(a8, slot + 64)
          slot += 72
        }
      }
    }
  }

  /// Floats of partial sums `directWeightGrad` needs.
  var directPartialSize: Int { (k + 2) / 3 * c * 3 * 72 }

  /// dw[o, tap] += horizontal sums of `directWeightGrad`'s partial vectors (each (o, tap)
  /// taken once, however many times a channel group repeats it).
  func addDirectPartial(_ partial: UnsafePointer<Float>, into dw: UnsafeMutablePointer<Float>) {
    var slot = partial
    for o0 in stride(from: 0, to: k, by: 3) {
      for ch in 0..<c {
        for dr in 0..<3 {
          for j in 0..<3 where o0 + j < k {
            for dq in 0..<3 {
              dw[(o0 + j) * c * 9 + (ch * 3 + dr) * 3 + dq] += load8(slot + (j * 3 + dq) * 8).sum()
            }
          }
          slot += 72
        }
      }
    }
  }
}
