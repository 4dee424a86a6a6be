import DigitsCore

extension CPUBackend {
  public func reluBackward(output y: Tensor, outputGrad dy: Tensor) {
    ShapeCheck.require(y.count == dy.count, "reluBackward", "y \(y.shape) dy \(dy.shape)")
    if maskDeferredGradient(output: y, outputGrad: dy) { return }
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

  /// ReLU backward on a deferred unpool (see `DeferredUnpool`): dy is non-zero only at window
  /// winners, where y is the pooled value, so the mask is applied to the pooled gradient.
  /// Returns false (nothing done) unless dy is deferred and y's pooled output is known.
  func maskDeferredGradient(output y: Tensor, outputGrad dy: Tensor) -> Bool {
    let b = buf(dy)
    guard let d = b.deferred, let pooled = pooledOutput(of: buf(y), argmax: d.argmax) else { return false }
    let count = d.gradient.count
    let masked = b.privateGradient.flatMap { $0.count == count ? $0 : nil } ?? CPUBuffer(count: count)
    b.privateGradient = masked
    let G = d.gradient.pointer, P = pooled.pointer, M = masked.pointer
    detachDependents(from: b)
    b.version &+= 1
    forEachBlock(count) { range in
      var i = range.lowerBound
      while i + 8 <= range.upperBound {
        store8(SIMD8<Float>().replacing(with: load8(G + i), where: load8(P + i) .> 0), M + i)
        i += 8
      }
      while i < range.upperBound {
        M[i] = P[i] > 0 ? G[i] : 0
        i += 1
      }
    }
    b.deferred = DeferredUnpool(gradient: masked, argmax: d.argmax, n: d.n, c: d.c, h: d.h, w: d.w)
    return true
  }

  /// Runs `body` over 0..<count split into one contiguous block per worker (block edges at
  /// multiples of 16 elements), in parallel when the array is big enough to pay for it.
  func forEachBlock(_ count: Int, _ body: (Range<Int>) -> Void) {
    let parts = count < 32_768 ? 1 : threads
    let lines = (count + 15) / 16
    parallel(parts) { t in
      let r = CPUBackend.share(lines, t, parts)
      body((r.lowerBound * 16)..<min(count, r.upperBound * 16))
    }
  }
}
