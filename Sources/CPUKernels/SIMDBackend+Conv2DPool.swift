import DigitsCore

/// A convolution block's inference forward pass, y = maxPool2(ReLU(conv(x) + b)), in one op:
/// each thread convolves an image (a pair on the GEMM path) into its own scratch, which stays
/// in cache, and pools straight from there. The full-size convolution output never goes to
/// memory and no argmax is written: for the seed network at batch 128 that is 11 MB written
/// and read back at the first layer alone. The values are those of `conv2dForward` then
/// `maxPool2Forward`, bit for bit: the same arithmetic and the same winner rule.
extension SIMDBackend {
  public func conv2dReLUPoolForward(
    input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, convOutput: Tensor, argmax: Tensor
  ) {
    counters.launches += 1
    let g = ConvGeometry(x.shape, w.shape)
    let (ph, pw) = (g.oh / 2, g.ow / 2), pooled = ph * pw
    ShapeCheck.require(
      y.shape == [g.n, g.k, ph, pw] && b.shape == [g.k], "conv2dReLUPoolForward",
      "x \(x.shape) w \(w.shape) b \(b.shape) y \(y.shape)")
    let Y = write(y), X = read(x), W = read(w), B = read(b)
    let parts = workers(items: g.n, flopsEach: 2 * g.k * g.ck * g.pixels)
    if g.prefersDirect {
      // One image's output planes [K, OH, OW], then each plane pooled row pair by row pair.
      let scratch = workspace.perThreadFloats(g.k * g.pixels)
      parallel(parts) { t in
        let planes = scratch.base + t * scratch.stride
        for i in SIMDBackend.share(g.n, t, parts) {
          g.directForward(X + i * g.inputSize, W, B, planes, relu: true)
          for o in 0..<g.k {
            let plane = planes + o * g.pixels, out = Y + (i * g.k + o) * pooled
            for r in 0..<ph {
              Self.poolRow(plane + 2 * r * g.ow, plane + (2 * r + 1) * g.ow, out + r * pw, nil, pw)
            }
          }
        }
      }
      return
    }
    // A pair's pixel-major GEMM rows, pooled into pixel-major windows, then transposed to NCHW.
    let template = forwardJob(g, X, W, B, relu: true)
    let kp = template.cRowStride
    let scratch = workspace.perThreadFloats(GEMMJob.scratchFloats + Self.forwardPair * g.pixels * kp + pooled * kp)
    parallel(parts) { t in
      let s = scratch.base + t * scratch.stride
      let windows = s + GEMMJob.scratchFloats + Self.forwardPair * g.pixels * kp
      forEachForwardChunk(g, template, X, images: SIMDBackend.share(g.n, t, parts), scratch: s) { first, count, yT in
        for j in 0..<count {
          Self.poolPixelRows(yT + j * g.pixels * kp, stride: kp, oh: g.oh, ow: g.ow, into: windows)
          Transpose.run(
            windows, srcStride: kp, rows: pooled, cols: g.k, Y + (first + j) * g.k * pooled, dstStride: pooled)
        }
      }
    }
  }

  /// 2x2 max pooling of one image held pixel-major (row r * OW + q of `stride` floats, the
  /// channels contiguous; `stride` a multiple of 16) into pixel-major windows
  /// [(OH/2) * (OW/2), stride], 16 channels a vector. Winner rule as `poolRow`'s.
  @inline(__always)
  static func poolPixelRows(
    _ rows: UnsafePointer<Float>, stride: Int, oh: Int, ow: Int, into windows: UnsafeMutablePointer<Float>
  ) {
    let (ph, pw) = (oh / 2, ow / 2)
    for r in 0..<ph {
      for q in 0..<pw {
        let topLeft = rows + (2 * r * ow + 2 * q) * stride, bottomLeft = topLeft + ow * stride
        let out = windows + (r * pw + q) * stride
        for c in Swift.stride(from: 0, to: stride, by: 16) {
          var best = SIMD16<Float>(repeating: -.infinity)
          @inline(__always) func consider(_ p: UnsafePointer<Float>) {
            let v = UnsafeRawPointer(p + c).loadUnaligned(as: SIMD16<Float>.self)
            best.replace(with: v, where: v .> best)
          }
          consider(topLeft)
          consider(topLeft + stride)
          consider(bottomLeft)
          consider(bottomLeft + stride)
          UnsafeMutableRawPointer(out + c).storeBytes(of: best, as: SIMD16<Float>.self)
        }
      }
    }
  }
}
