/// Sixteen consecutive floats of one row of a GEMM tile (one column panel wide), in the
/// widest vector this build's instruction set has: one SIMD16 (a zmm register) when compiled
/// for AVX-512 (`DIGITS_AVX512`), two SIMD8 otherwise (ymm registers on AVX2; on SSE2 or NEON
/// LLVM splits each SIMD8 into two 4-lane registers). The micro-kernel (`Tile`) is written
/// once against this type.
struct PanelRow {
  #if DIGITS_AVX512
    var v: SIMD16<Float>

    @inline(__always) init() { v = SIMD16() }
    @inline(__always) init(_ p: UnsafePointer<Float>) { v = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }

    /// self + b * (s in every lane).
    @inline(__always) func adding(_ b: PanelRow, times s: Float) -> PanelRow {
      var r = self
      r.v = v.mulAdd(b.v, SIMD16(repeating: s))
      return r
    }
    @inline(__always) static func + (x: PanelRow, y: PanelRow) -> PanelRow {
      var r = x
      r.v += y.v
      return r
    }
    /// max(0, .) in every lane.
    @inline(__always) var clampedAtZero: PanelRow {
      var r = self
      r.v = v.replacing(with: 0, where: v .< 0)
      return r
    }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) {
      UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }
    /// Element j (0..<16), for building a partial row.
    @inline(__always) subscript(j: Int) -> Float {
      get { v[j] }
      set { v[j] = newValue }
    }
  #else
    var lo: SIMD8<Float>, hi: SIMD8<Float>

    @inline(__always) init() { (lo, hi) = (SIMD8(), SIMD8()) }
    @inline(__always) init(_ p: UnsafePointer<Float>) { (lo, hi) = (load8(p), load8(p + 8)) }

    /// self + b * (s in every lane).
    @inline(__always) func adding(_ b: PanelRow, times s: Float) -> PanelRow {
      var r = self
      let broadcast = SIMD8<Float>(repeating: s)
      r.lo = lo.mulAdd(b.lo, broadcast)
      r.hi = hi.mulAdd(b.hi, broadcast)
      return r
    }
    @inline(__always) static func + (x: PanelRow, y: PanelRow) -> PanelRow {
      var r = x
      r.lo += y.lo
      r.hi += y.hi
      return r
    }
    /// max(0, .) in every lane.
    @inline(__always) var clampedAtZero: PanelRow {
      var r = self
      r.lo = lo.replacing(with: 0, where: lo .< 0)
      r.hi = hi.replacing(with: 0, where: hi .< 0)
      return r
    }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) {
      store8(lo, p)
      store8(hi, p + 8)
    }
    /// Element j (0..<16), for building a partial row.
    @inline(__always) subscript(j: Int) -> Float {
      get { j < 8 ? lo[j] : hi[j - 8] }
      set { if j < 8 { lo[j] = newValue } else { hi[j - 8] = newValue } }
    }
  #endif
}

extension SIMD where Scalar == Float {
  /// self + a * b, lane by lane: one fused multiply-add where the instruction set has it
  /// (AVX2+FMA, AVX-512, arm64); a multiply and an add on baseline x86-64, where LLVM would
  /// otherwise call libm's `fmaf` once per lane.
  @inline(__always)
  func mulAdd(_ a: Self, _ b: Self) -> Self {
    #if DIGITS_FMA || arch(arm64)
      return addingProduct(a, b)
    #else
      return self + a * b
    #endif
  }
}
