import DigitsCore

extension SIMDBackend {
  public func reluBackward(output y: Tensor, outputGrad dy: Tensor) {
    counters.launches += 1
    ShapeCheck.require(y.count == dy.count, "reluBackward", "y \(y.shape) dy \(dy.shape)")
    let DY = write(dy, inPlace: true), Y = read(y)
    forEachBlock(y.count) { range in
      var i = range.lowerBound
      while i + 8 <= range.upperBound {
        let keep = load8(Y + i) .> 0
        store8(SIMD8<Float>().replacing(with: load8(DY + i), where: keep), DY + i)
        i += 8
      }
      while i < range.upperBound {
        if !(Y[i] > 0) { DY[i] = 0 }
        i += 1
      }
    }
  }

  /// Runs `body` over 0..<count split into one contiguous block per worker (block edges at
  /// multiples of 16 elements), in parallel when the array is big enough to pay for it.
  func forEachBlock(_ count: Int, _ body: (Range<Int>) -> Void) {
    let parts = count < 32_768 ? 1 : threads
    let lines = (count + 15) / 16
    parallel(parts) { t in
      let r = SIMDBackend.share(lines, t, parts)
      body((r.lowerBound * 16)..<min(count, r.upperBound * 16))
    }
  }
}
