import DigitsCore
import Foundation

/// A convolution block's inference forward pass, y = maxPool2(ReLU(conv(x) + b)), in one op,
/// per image in a thread's own scratch that stays in cache: the full-size convolution output
/// never goes to memory and no argmax is written (for the seed network at batch 128 that is
/// 11 MB written and read back at the first layer alone).
///
/// Few input channels (the first layer): the direct kernel, then pooling; the values are
/// `conv2dForward`'s then `maxPool2Forward`'s, bit for bit. Many (the second layer): Winograd
/// F(2x2, 3x3) (`WinogradPlan`), whose 2x2 output tiles are the pooling windows, so only the
/// tiles the pooling keeps are computed: 2.7x fewer multiply-adds than the GEMM for the seed
/// network's second layer, within the same rounding bound as a direct dot product.
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
    // Winograd F(2x2, 3x3): each 2x2 output tile is exactly one pooling window.
    let winograd = WinogradPlan(g)
    let U = transformedFilters(winograd, W, key: ObjectIdentifier(buf(w)))
    let scratch = workspace.perThreadFloats(GEMMJob.scratchFloats + winograd.scratchFloats)
    parallel(parts) { t in
      let s = scratch.base + t * scratch.stride
      let mine = SIMDBackend.share(g.n, t, parts)
      for i in stride(from: mine.lowerBound, to: mine.upperBound, by: WinogradPlan.chunk) {
        let count = min(WinogradPlan.chunk, mine.upperBound - i)
        winograd.forward(
          X + i * g.inputSize, images: count, filters: U, bias: B, into: Y + i * g.k * pooled,
          scratch: s + GEMMJob.scratchFloats, gemmScratch: s)
      }
    }
  }

  /// The Winograd transform of the filters at `w`, kept between calls while the filters stay
  /// the same (compared value by value: training changes them in place), since for one image
  /// it costs more than the convolution.
  func transformedFilters(_ plan: WinogradPlan, _ w: UnsafePointer<Float>, key: ObjectIdentifier)
    -> UnsafePointer<Float>
  {
    let count = plan.g.k * plan.g.ck
    if let kept = winogradFilters[key], kept.source.count == count,
      kept.source.withUnsafeBufferPointer({ memcmp($0.baseAddress!, w, count * 4) == 0 })
    {
      return UnsafePointer(kept.transformed)
    }
    if winogradFilters.count >= 8 { winogradFilters.removeAll() }
    let kept = WinogradFilters(source: Array(UnsafeBufferPointer(start: w, count: count)), floats: plan.filterFloats)
    let parts = workers(items: plan.g.k, flopsEach: 40 * plan.g.c)
    parallel(parts) { t in
      plan.transformFilters(w, into: kept.transformed, filters: SIMDBackend.share(plan.g.k, t, parts))
    }
    winogradFilters[key] = kept
    return UnsafePointer(kept.transformed)
  }
}

/// Filters and their Winograd transform, as `transformedFilters` keeps them.
final class WinogradFilters {
  let source: [Float]
  /// `floats` values, zero where no filter writes.
  let transformed: UnsafeMutablePointer<Float>

  init(source: [Float], floats: Int) {
    self.source = source
    transformed = .allocate(capacity: floats)
    transformed.initialize(repeating: 0, count: floats)
  }

  deinit { transformed.deallocate() }
}
