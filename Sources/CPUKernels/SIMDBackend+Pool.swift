import DigitsCore

/// 2x2 max pooling, stride 2, NCHW, over (image, channel) planes split across threads.
/// Rows are done 8 (or, for rows of 4 to 7 windows, 4) windows at a time: one 16-float load
/// per input row, split into even and odd columns. A row's last vector overlaps the previous
/// one rather than falling back to scalar code. Winner rule as in the reference: the first of
/// the 4 (row-major) values that is strictly greater than everything before it, starting from
/// -infinity.
extension SIMDBackend {
  public func maxPool2Forward(input x: Tensor, output y: Tensor, argmax: Tensor) {
    counters.launches += 1
    ShapeCheck.require(x.rank == 4, "maxPool2Forward", "input \(x.shape) is not NCHW")
    let (n, c, h, w) = (x[0], x[1], x[2], x[3])
    let (ph, pw) = (h / 2, w / 2)
    ShapeCheck.require(
      y.shape == [n, c, ph, pw] && argmax.shape == y.shape, "maxPool2Forward",
      "x \(x.shape) y \(y.shape) argmax \(argmax.shape)")
    let Y = write(y), A = write(argmax), X = read(x)
    let planes = n * c
    let parts = workers(items: planes, flopsEach: h * w)
    parallel(parts) { t in
      for plane in SIMDBackend.share(planes, t, parts) {
        let xp = X + plane * h * w, yp = Y + plane * ph * pw, ap = A + plane * ph * pw
        for r in 0..<ph {
          Self.poolRow(xp + 2 * r * w, xp + (2 * r + 1) * w, yp + r * pw, ap + r * pw, pw)
        }
      }
    }
  }

  public func maxPool2Backward(outputGrad dy: Tensor, argmax: Tensor, inputGrad dx: Tensor) {
    counters.launches += 1
    ShapeCheck.require(dx.rank == 4, "maxPool2Backward", "input gradient \(dx.shape) is not NCHW")
    let (n, c, h, w) = (dx[0], dx[1], dx[2], dx[3])
    let (ph, pw) = (h / 2, w / 2)
    ShapeCheck.require(
      dy.shape == [n, c, ph, pw] && argmax.shape == dy.shape, "maxPool2Backward",
      "dy \(dy.shape) argmax \(argmax.shape) dx \(dx.shape)")
    let DX = write(dx), G = read(dy), A = read(argmax)
    let planes = n * c
    let parts = workers(items: planes, flopsEach: h * w)
    parallel(parts) { t in
      for plane in SIMDBackend.share(planes, t, parts) {
        Self.unpoolPlane(G + plane * ph * pw, A + plane * ph * pw, into: DX + plane * h * w, h: h, w: w)
      }
    }
  }

  /// dx plane [h, w] = the window gradients g [h/2, w/2] at their winners (codes a), zero
  /// elsewhere, including an odd trailing row and column.
  static func unpoolPlane(
    _ g: UnsafePointer<Float>, _ a: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, h: Int, w: Int
  ) {
    let (ph, pw) = (h / 2, w / 2)
    for r in 0..<ph {
      let top = dx + 2 * r * w, bottom = top + w
      unpoolRow(g + r * pw, a + r * pw, top, bottom, pw)
      if w & 1 == 1 {
        top[w - 1] = 0
        bottom[w - 1] = 0
      }
    }
    if h & 1 == 1 { (dx + (h - 1) * w).update(repeating: 0, count: w) }
  }

  /// Pools `count` windows from two input rows into y and, when given, argmax (inference
  /// keeps no argmax; inlined with nil, the winner codes are never computed).
  @inline(__always)
  static func poolRow(
    _ top: UnsafePointer<Float>, _ bottom: UnsafePointer<Float>,
    _ y: UnsafeMutablePointer<Float>, _ a: UnsafeMutablePointer<Float>?, _ count: Int
  ) {
    if count >= 8 {
      var q = 0
      while true {
        let t = UnsafeRawPointer(top + 2 * q).loadUnaligned(as: SIMD16<Float>.self)
        let b = UnsafeRawPointer(bottom + 2 * q).loadUnaligned(as: SIMD16<Float>.self)
        var best = SIMD8<Float>(repeating: -.infinity), arg = SIMD8<Float>()
        @inline(__always) func consider(_ v: SIMD8<Float>, _ j: Float) {
          let wins = v .> best
          best.replace(with: v, where: wins)
          arg.replace(with: j, where: wins)
        }
        consider(t.evenHalf, 0)
        consider(t.oddHalf, 1)
        consider(b.evenHalf, 2)
        consider(b.oddHalf, 3)
        store8(best, y + q)
        if let a { store8(arg, a + q) }
        if q + 8 == count { break }
        q = min(q + 8, count - 8)
      }
      return
    }
    if count >= 4 {
      var q = 0
      while true {
        let t = load8(top + 2 * q), b = load8(bottom + 2 * q)
        var best = SIMD4<Float>(repeating: -.infinity), arg = SIMD4<Float>()
        @inline(__always) func consider(_ v: SIMD4<Float>, _ j: Float) {
          let wins = v .> best
          best.replace(with: v, where: wins)
          arg.replace(with: j, where: wins)
        }
        consider(t.evenHalf, 0)
        consider(t.oddHalf, 1)
        consider(b.evenHalf, 2)
        consider(b.oddHalf, 3)
        store4(best, y + q)
        if let a { store4(arg, a + q) }
        if q + 4 == count { break }
        q = min(q + 4, count - 4)
      }
      return
    }
    for q in 0..<count {
      var best = -Float.infinity, arg: Float = 0
      let v = (top[2 * q], top[2 * q + 1], bottom[2 * q], bottom[2 * q + 1])
      if v.0 > best {
        best = v.0
        arg = 0
      }
      if v.1 > best {
        best = v.1
        arg = 1
      }
      if v.2 > best {
        best = v.2
        arg = 2
      }
      if v.3 > best {
        best = v.3
        arg = 3
      }
      y[q] = best
      a?[q] = arg
    }
  }

  /// Routes `count` window gradients to their winners in two rows of dx (2*count columns
  /// each), writing zero to the other three places of each window.
  @inline(__always)
  static func unpoolRow(
    _ g: UnsafePointer<Float>, _ a: UnsafePointer<Float>,
    _ top: UnsafeMutablePointer<Float>, _ bottom: UnsafeMutablePointer<Float>, _ count: Int
  ) {
    if count >= 8 {
      var q = 0
      while true {
        let gv = load8(g + q), av = load8(a + q)
        let zero = SIMD8<Float>()
        var upper = SIMD16<Float>(), lower = SIMD16<Float>()
        upper.evenHalf = zero.replacing(with: gv, where: av .== 0)
        upper.oddHalf = zero.replacing(with: gv, where: av .== 1)
        lower.evenHalf = zero.replacing(with: gv, where: av .== 2)
        lower.oddHalf = zero.replacing(with: gv, where: av .== 3)
        UnsafeMutableRawPointer(top + 2 * q).storeBytes(of: upper, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(bottom + 2 * q).storeBytes(of: lower, as: SIMD16<Float>.self)
        if q + 8 == count { break }
        q = min(q + 8, count - 8)
      }
      return
    }
    if count >= 4 {
      var q = 0
      while true {
        let gv = load4(g + q), av = load4(a + q)
        let zero = SIMD4<Float>()
        var upper = SIMD8<Float>(), lower = SIMD8<Float>()
        upper.evenHalf = zero.replacing(with: gv, where: av .== 0)
        upper.oddHalf = zero.replacing(with: gv, where: av .== 1)
        lower.evenHalf = zero.replacing(with: gv, where: av .== 2)
        lower.oddHalf = zero.replacing(with: gv, where: av .== 3)
        store8(upper, top + 2 * q)
        store8(lower, bottom + 2 * q)
        if q + 4 == count { break }
        q = min(q + 4, count - 4)
      }
      return
    }
    for q in 0..<count {
      let v = g[q], j = a[q]
      top[2 * q] = j == 0 ? v : 0
      top[2 * q + 1] = j == 1 ? v : 0
      bottom[2 * q] = j == 2 ? v : 0
      bottom[2 * q + 1] = j == 3 ? v : 0
    }
  }
}
