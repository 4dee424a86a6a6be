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
  /// keeps no argmax; inlined with nil, the winner codes are never stored).
  @inline(__always)
  static func poolRow(
    _ top: UnsafePointer<Float>, _ bottom: UnsafePointer<Float>,
    _ y: UnsafeMutablePointer<Float>, _ a: UnsafeMutablePointer<Float>?, _ count: Int
  ) {
    if count >= 8 { return poolWindows(SIMD8<Float>.self, top, bottom, y, a, count) }
    if count >= 4 { return poolWindows(SIMD4<Float>.self, top, bottom, y, a, count) }
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
    if count >= 8 { return unpoolWindows(SIMD8<Float>.self, gradients: g, winners: a, into: top, bottom, count) }
    if count >= 4 { return unpoolWindows(SIMD4<Float>.self, gradients: g, winners: a, into: top, bottom, count) }
    for q in 0..<count {
      let v = g[q], j = a[q]
      top[2 * q] = j == 0 ? v : 0
      top[2 * q + 1] = j == 1 ? v : 0
      bottom[2 * q] = j == 2 ? v : 0
      bottom[2 * q + 1] = j == 3 ? v : 0
    }
  }

  /// `poolRow` a vector of `V.scalarCount` windows at a time. Inlined, so each width is its
  /// own specialised loop.
  @inline(__always)
  static func poolWindows<V: PoolVector>(
    _: V.Type, _ top: UnsafePointer<Float>, _ bottom: UnsafePointer<Float>,
    _ y: UnsafeMutablePointer<Float>, _ a: UnsafeMutablePointer<Float>?, _ count: Int
  ) {
    forEachVector(of: V.self, in: count) { q in
      let t = UnsafeRawPointer(top + 2 * q).loadUnaligned(as: V.Pair.self)
      let b = UnsafeRawPointer(bottom + 2 * q).loadUnaligned(as: V.Pair.self)
      var best = V(repeating: -.infinity), arg = V()
      @inline(__always) func consider(_ v: V, _ j: Float) {
        let wins = V.greater(v, best)
        best.replace(with: v, where: wins)
        arg.replace(with: j, where: wins)
      }
      consider(t.evenHalf, 0)
      consider(t.oddHalf, 1)
      consider(b.evenHalf, 2)
      consider(b.oddHalf, 3)
      UnsafeMutableRawPointer(y + q).storeBytes(of: best, as: V.self)
      if let a { UnsafeMutableRawPointer(a + q).storeBytes(of: arg, as: V.self) }
    }
  }

  /// `unpoolRow` a vector of `V.scalarCount` windows at a time, as `poolWindows`.
  @inline(__always)
  static func unpoolWindows<V: PoolVector>(
    _: V.Type, gradients g: UnsafePointer<Float>, winners a: UnsafePointer<Float>,
    into top: UnsafeMutablePointer<Float>, _ bottom: UnsafeMutablePointer<Float>, _ count: Int
  ) {
    forEachVector(of: V.self, in: count) { q in
      let gv = UnsafeRawPointer(g + q).loadUnaligned(as: V.self), av = UnsafeRawPointer(a + q).loadUnaligned(as: V.self)
      let zero = V()
      var upper = V.Pair(), lower = V.Pair()
      upper.evenHalf = zero.replacing(with: gv, where: V.equal(av, 0))
      upper.oddHalf = zero.replacing(with: gv, where: V.equal(av, 1))
      lower.evenHalf = zero.replacing(with: gv, where: V.equal(av, 2))
      lower.oddHalf = zero.replacing(with: gv, where: V.equal(av, 3))
      UnsafeMutableRawPointer(top + 2 * q).storeBytes(of: upper, as: V.Pair.self)
      UnsafeMutableRawPointer(bottom + 2 * q).storeBytes(of: lower, as: V.Pair.self)
    }
  }

  /// Calls `body` with the first window of each vector of `V.scalarCount` windows in a row of
  /// `count` (at least one vector's worth): the row's last vector overlaps the one before
  /// rather than falling back to scalar code.
  @inline(__always)
  static func forEachVector<V: PoolVector>(of _: V.Type, in count: Int, _ body: (Int) -> Void) {
    var q = 0
    while true {
      body(q)
      if q + V.scalarCount == count { break }
      q = min(q + V.scalarCount, count - V.scalarCount)
    }
  }
}

/// A vector of pooling windows (one lane each) and `Pair`, the vector twice as wide that
/// holds their input columns, even and odd interleaved: SIMD8 with SIMD16, SIMD4 with SIMD8.
/// The comparisons are requirements because the standard library's fast ones are overloads
/// on the concrete types: generic code calling `.>` gets the lane-by-lane loop, which
/// measured about 30 times slower here, even specialised.
protocol PoolVector: SIMD where Scalar == Float {
  associatedtype Pair: PoolPair where Pair.Half == Self
  /// `a .> b`.
  static func greater(_ a: Self, _ b: Self) -> SIMDMask<MaskStorage>
  /// `a .== b`.
  static func equal(_ a: Self, _ b: Float) -> SIMDMask<MaskStorage>
}

/// A vector split into its even and odd lanes (the standard library's own members).
protocol PoolPair: SIMD where Scalar == Float {
  associatedtype Half
  var evenHalf: Half { get set }
  var oddHalf: Half { get set }
}

extension SIMD16: PoolPair where Scalar == Float {}
extension SIMD8: PoolPair where Scalar == Float {}

extension SIMD8: PoolVector where Scalar == Float {
  typealias Pair = SIMD16<Float>
  @inline(__always) static func greater(_ a: Self, _ b: Self) -> SIMDMask<MaskStorage> { a .> b }
  @inline(__always) static func equal(_ a: Self, _ b: Float) -> SIMDMask<MaskStorage> { a .== b }
}

extension SIMD4: PoolVector where Scalar == Float {
  typealias Pair = SIMD8<Float>
  @inline(__always) static func greater(_ a: Self, _ b: Self) -> SIMDMask<MaskStorage> { a .> b }
  @inline(__always) static func equal(_ a: Self, _ b: Float) -> SIMDMask<MaskStorage> { a .== b }
}
