/// Matrix transposes in 4x4 blocks held in SIMD registers, for the layout changes around the
/// convolution GEMMs (pixel-major GEMM output to NCHW, dy to pixel-major panels).
///
/// NOTE: 4x4 blocks of SIMD4 compile to the classic unpack/shuffle sequence; an 8x8 block of
/// SIMD8 written the same way (or with evenHalf/oddHalf) is turned by LLVM into per-element
/// inserts and spills, and runs slower than scalar code.
enum Transpose {
  /// dst[j * dstStride + i] = src[i * srcStride + j] for i < rows, j < cols.
  /// Walks 4 destination rows at a time from start to end, so destination lines are filled
  /// in order (the source is scratch, in cache).
  @inline(__always)
  static func run(
    _ src: UnsafePointer<Float>, srcStride: Int, rows: Int, cols: Int,
    _ dst: UnsafeMutablePointer<Float>, dstStride: Int
  ) {
    var j = 0
    while j + 4 <= cols {
      var i = 0
      while i + 4 <= rows {
        block4x4(src + i * srcStride + j, srcStride, dst + j * dstStride + i, dstStride)
        i += 4
      }
      for ii in i..<rows {
        for jj in j..<(j + 4) { dst[jj * dstStride + ii] = src[ii * srcStride + jj] }
      }
      j += 4
    }
    for jj in j..<cols {
      for ii in 0..<rows { dst[jj * dstStride + ii] = src[ii * srcStride + jj] }
    }
  }

  @inline(__always)
  static func block4x4(
    _ src: UnsafePointer<Float>, _ srcStride: Int, _ dst: UnsafeMutablePointer<Float>, _ dstStride: Int
  ) {
    let r0 = load4(src), r1 = load4(src + srcStride), r2 = load4(src + 2 * srcStride), r3 = load4(src + 3 * srcStride)
    let t0 = SIMD4(r0[0], r1[0], r0[1], r1[1]), t1 = SIMD4(r0[2], r1[2], r0[3], r1[3])
    let t2 = SIMD4(r2[0], r3[0], r2[1], r3[1]), t3 = SIMD4(r2[2], r3[2], r2[3], r3[3])
    store4(SIMD4(lowHalf: t0.lowHalf, highHalf: t2.lowHalf), dst)
    store4(SIMD4(lowHalf: t0.highHalf, highHalf: t2.highHalf), dst + dstStride)
    store4(SIMD4(lowHalf: t1.lowHalf, highHalf: t3.lowHalf), dst + 2 * dstStride)
    store4(SIMD4(lowHalf: t1.highHalf, highHalf: t3.highHalf), dst + 3 * dstStride)
  }
}

@inline(__always)
func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
  UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always)
func store4(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
}
