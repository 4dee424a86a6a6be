/// Convolution backward passes that skip zeros in dy.
///
/// Behind max pooling and ReLU, dy is mostly exact zeros: each 2x2 pooling window passes its
/// gradient to one pixel only, and ReLU clears more (for conv2 of the seed network at most
/// 25 of 121 pixels per channel are non-zero). The dense GEMMs multiply all those zeros; here
/// each non-zero dy[o, p] = g costs one scaled row: g * im2col[p, :] into dw[o, :], or
/// g * w[o, :] into dcol[p, :]. An image takes this path when at most half of its dy is
/// non-zero (`sparseLimit`); the result is the same sum in another order.
///
/// Row vectors are handled 8 lanes at a time in chunks of up to 96 (dcol) or 48 (dw) taps,
/// whose accumulators stay in registers while the non-zeros stream by; the chunk of w (or
/// im2col) they read stays in L1.
extension ConvGeometry {
  /// Images with at most this many non-zeros in dy take the sparse path.
  var sparseLimit: Int { k * pixels / 2 }

  /// Floats per row of the pixel-major buffers: CK rounded up to 8 lanes, plus a vector.
  var sparseRowStride: Int { (ck + 7) / 8 * 8 + 8 }

  /// The non-zeros of one image's dy in channel order: channel o's pixels are entries
  /// starts[o]..<starts[o+1] of `pixel` (values stay in dy). Returns their number, or nil as
  /// soon as it passes `limit`. Capacity: K*P entries.
  func nonzerosByChannel(
    _ dy: UnsafePointer<Float>, limit: Int, starts: UnsafeMutablePointer<Int32>, pixel: UnsafeMutablePointer<Int32>
  ) -> Int? {
    var count = 0
    for o in 0..<k {
      starts[o] = Int32(count)
      let row = dy + o * pixels
      for p in 0..<pixels {
        // Branch-free append: write every index, advance past the non-zeros only. The test
        // is on the bits (|v| != +0, NaN included): a float compare compiles to branches.
        pixel[count] = Int32(p)
        let magnitude = row[p].bitPattern & 0x7FFF_FFFF
        count += Int((magnitude | (0 &- magnitude)) >> 31)
      }
      if count > limit { return nil }
    }
    starts[k] = Int32(count)
    return count
  }

  /// Regroups channel-ordered non-zeros (`nonzerosByChannel`) by pixel: pixel p's channels
  /// are entries starts[p]..<starts[p+1] of `channel`, ascending.
  func nonzerosByPixel(
    count: Int, channelStarts: UnsafePointer<Int32>, pixel: UnsafePointer<Int32>,
    starts: UnsafeMutablePointer<Int32>, channel: UnsafeMutablePointer<Int32>
  ) {
    starts.update(repeating: 0, count: pixels + 1)
    for j in 0..<count { starts[Int(pixel[j]) + 1] += 1 }
    for p in 0..<pixels { starts[p + 1] += starts[p] }
    // starts[p] is used as the fill cursor, then restored by shifting back.
    for o in 0..<k {
      for j in Int(channelStarts[o])..<Int(channelStarts[o + 1]) {
        let p = Int(pixel[j])
        channel[Int(starts[p])] = Int32(o)
        starts[p] += 1
      }
    }
    for p in stride(from: pixels, to: 0, by: -1) { starts[p] = starts[p - 1] }
    starts[0] = 0
  }

  /// im2col^T of one image: colT[p * stride + tap] = x[tap + pixel(p)], taps in (ch, dr, dq)
  /// order. Each 3-tap run is copied as 4 floats; the 4th is overwritten by the next run (the
  /// last one lands in the row's padding).
  func im2colT(_ x: UnsafePointer<Float>, into colT: UnsafeMutablePointer<Float>, stride: Int) {
    var dst = colT
    for r in 0..<oh {
      for q in 0..<ow {
        var src = x + r * w + q
        for ch in 0..<c {
          let d = dst + ch * 9
          store4(load4(src), d)
          store4(load4(src + w), d + 3)
          store4(load4(src + 2 * w), d + 6)
          src += h * w
        }
        dst += stride
      }
    }
  }

  /// dw[o, :] += sum over channel o's non-zeros (p, g) of g * colT[p, :], for rows of
  /// `stride` floats (lanes past CK are padding). Chunks of 6 vectors, then single vectors.
  func sparseWeightGrad(
    colT: UnsafePointer<Float>, stride: Int, dy: UnsafePointer<Float>, starts: UnsafePointer<Int32>,
    pixel: UnsafePointer<Int32>, into dw: UnsafeMutablePointer<Float>
  ) {
    let vectors = (ck + 7) / 8
    var v0 = 0
    while v0 + 6 <= vectors {
      for o in 0..<k {
        let first = Int(starts[o]), end = Int(starts[o + 1]), row = dy + o * pixels
        if first == end { continue }
        var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0
        for j in first..<end {
          let p = Int(pixel[j]), g = SIMD8<Float>(repeating: row[p]), src = colT + p * stride + v0 * 8
          a0 = a0.mulAdd(g, load8(src))
          a1 = a1.mulAdd(g, load8(src + 8))
          a2 = a2.mulAdd(g, load8(src + 16))
          a3 = a3.mulAdd(g, load8(src + 24))
          a4 = a4.mulAdd(g, load8(src + 32))
          a5 = a5.mulAdd(g, load8(src + 40))
        }
        let d = dw + o * stride + v0 * 8
        store8(load8(d) + a0, d)
        store8(load8(d + 8) + a1, d + 8)
        store8(load8(d + 16) + a2, d + 16)
        store8(load8(d + 24) + a3, d + 24)
        store8(load8(d + 32) + a4, d + 32)
        store8(load8(d + 40) + a5, d + 40)
      }
      v0 += 6
    }
    for v in v0..<vectors {
      for o in 0..<k {
        var a = SIMD8<Float>()
        for j in Int(starts[o])..<Int(starts[o + 1]) {
          let p = Int(pixel[j])
          a = a.mulAdd(SIMD8<Float>(repeating: dy[o * pixels + p]), load8(colT + p * stride + v * 8))
        }
        let d = dw + o * stride + v * 8
        store8(load8(d) + a, d)
      }
    }
  }

  /// dcolT[p, :] = sum over pixel p's non-zeros (o, g) of g * w[o, :] (rows of `stride`
  /// floats; lanes past CK hold garbage). Chunks of 12 vectors, then single vectors.
  /// NOTE: reads up to 7 floats past the end of w (a tensor's zeroed slack).
  func sparseColumnGrad(
    weight: UnsafePointer<Float>, dy: UnsafePointer<Float>, starts: UnsafePointer<Int32>,
    channel: UnsafePointer<Int32>, into dcolT: UnsafeMutablePointer<Float>, stride: Int
  ) {
    let vectors = (ck + 7) / 8
    var v0 = 0
    while v0 + 12 <= vectors {
      for p in 0..<pixels {
        var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0
        var a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0
        for j in Int(starts[p])..<Int(starts[p + 1]) {
          let o = Int(channel[j])
          let g = SIMD8<Float>(repeating: dy[o * pixels + p]), src = weight + o * ck + v0 * 8
          a0 = a0.mulAdd(g, load8(src))
          a1 = a1.mulAdd(g, load8(src + 8))
          a2 = a2.mulAdd(g, load8(src + 16))
          a3 = a3.mulAdd(g, load8(src + 24))
          a4 = a4.mulAdd(g, load8(src + 32))
          a5 = a5.mulAdd(g, load8(src + 40))
          a6 = a6.mulAdd(g, load8(src + 48))
          a7 = a7.mulAdd(g, load8(src + 56))
          a8 = a8.mulAdd(g, load8(src + 64))
          a9 = a9.mulAdd(g, load8(src + 72))
          a10 = a10.mulAdd(g, load8(src + 80))
          a11 = a11.mulAdd(g, load8(src + 88))
        }
        let d = dcolT + p * stride + v0 * 8
        store8(a0, d)
        store8(a1, d + 8)
        store8(a2, d + 16)
        store8(a3, d + 24)
        store8(a4, d + 32)
        store8(a5, d + 40)
        store8(a6, d + 48)
        store8(a7, d + 56)
        store8(a8, d + 64)
        store8(a9, d + 72)
        store8(a10, d + 80)
        store8(a11, d + 88)
      }
      v0 += 12
    }
    for v in v0..<vectors {
      for p in 0..<pixels {
        var a = SIMD8<Float>()
        for j in Int(starts[p])..<Int(starts[p + 1]) {
          let o = Int(channel[j])
          a = a.mulAdd(SIMD8<Float>(repeating: dy[o * pixels + p]), load8(weight + o * ck + v * 8))
        }
        store8(a, dcolT + p * stride + v * 8)
      }
    }
  }
}
