import CPUBackend
import Testing
import _TestSupport

/// `CPUKernels.gemm` on odd sizes (edges of the 6x16 tiles, 1-sized dimensions, K over one
/// reduction block), transposed operands through strides, strided C, and the epilogue.
@Suite struct GEMMTests {
  struct Case: Sendable, CustomStringConvertible {
    var m: Int, n: Int, k: Int
    var transA = false, transB = false, transC = false
    var accumulate = false, bias = false, relu = false
    var description: String {
      "\(m)x\(n)x\(k)\(transA ? " A^T" : "")\(transB ? " B^T" : "")\(transC ? " C^T" : "")"
        + "\(accumulate ? " +C" : "")\(bias ? " +bias" : "")\(relu ? " relu" : "")"
    }
  }

  static let cases: [Case] = [
    Case(m: 1, n: 1, k: 1),
    Case(m: 1, n: 17, k: 3),
    Case(m: 7, n: 1, k: 5, transA: true),
    Case(m: 6, n: 16, k: 8, bias: true, relu: true),
    Case(m: 5, n: 15, k: 1, transB: true, accumulate: true),
    Case(m: 13, n: 33, k: 401, transA: true, transB: true),
    Case(m: 12, n: 32, k: 769, accumulate: true, bias: true),
    Case(m: 19, n: 47, k: 29, transC: true, accumulate: true, bias: true, relu: true),
    Case(m: 64, n: 121, k: 288),
    Case(m: 121, n: 64, k: 288, transB: true, transC: true, bias: true, relu: true),
    Case(m: 130, n: 70, k: 50, transA: true, accumulate: true),
    Case(m: 2, n: 3, k: 0, bias: true),
    Case(m: 128, n: 10, k: 128, transB: true, bias: true),
  ]

  @Test(arguments: cases, CPUConfiguration.all(threads: [1, 2]))
  func matchesFloat64(c: Case, on cpu: CPUConfiguration) {
    var rng = TestRandom(seed: UInt64(c.m * 1_000_003 + c.n * 1009 + c.k))
    let a = rng.array(c.m * c.k), b = rng.array(c.k * c.n), c0 = rng.array(c.m * c.n), bias = rng.array(c.n)
    // Element (i, p) of A at i*ars + p*acs, etc.: a transposed operand is stored the other way.
    let (ars, acs) = c.transA ? (1, c.m) : (c.k, 1)
    let (brs, bcs) = c.transB ? (1, c.k) : (c.n, 1)
    let (crs, ccs) = c.transC ? (1, c.m) : (c.n, 1)
    var expected = [Float](repeating: 0, count: c.m * c.n)
    for i in 0..<c.m {
      for j in 0..<c.n {
        var s = c.accumulate ? Double(c0[i * crs + j * ccs]) : 0
        for p in 0..<c.k { s += Double(a[i * ars + p * acs]) * Double(b[p * brs + j * bcs]) }
        if c.bias { s += Double(bias[j]) }
        if c.relu { s = max(0, s) }
        expected[i * crs + j * ccs] = Float(s)
      }
    }
    var observed = c0
    let backend = cpu.backend()
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        bias.withUnsafeBufferPointer { bias in
          observed.withUnsafeMutableBufferPointer { o in
            backend.gemm(
              MatrixView(a.baseAddress!, rows: c.m, columns: c.k, rowStride: ars, columnStride: acs),
              MatrixView(b.baseAddress!, rows: c.k, columns: c.n, rowStride: brs, columnStride: bcs),
              into: MutableMatrixView(o.baseAddress!, rows: c.m, columns: c.n, rowStride: crs, columnStride: ccs),
              accumulate: c.accumulate, bias: c.bias ? bias.baseAddress! : nil, relu: c.relu)
          }
        }
      }
    }
    let report = mismatchReport(observed, expected, atol: 1e-6 + 5e-7 * Float(c.k), rtol: 1e-4, label: "\(c)")
    #expect(report == nil, "\(report ?? "")")
  }

  /// C inside a wider matrix: the columns past N must not be touched.
  @Test(arguments: CPUPath.supported)
  func leavesPaddingAlone(path: CPUPath) {
    let (m, n, k, ldc) = (7, 18, 9, 21)
    let a = [Float](repeating: 1, count: m * k), b = [Float](repeating: 2, count: k * n)
    var c = [Float](repeating: -5, count: m * ldc)
    let backend = CPUBackend.make(threads: 2, path: path)
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        c.withUnsafeMutableBufferPointer { c in
          backend.gemm(
            MatrixView(a.baseAddress!, rows: m, columns: k, rowStride: k),
            MatrixView(b.baseAddress!, rows: k, columns: n, rowStride: n),
            into: MutableMatrixView(c.baseAddress!, rows: m, columns: n, rowStride: ldc))
        }
      }
    }
    for i in 0..<m {
      #expect(c[(i * ldc)..<(i * ldc + n)].allSatisfy { $0 == 18 })
      #expect(c[(i * ldc + n)..<(i * ldc + ldc)].allSatisfy { $0 == -5 })
    }
  }
}
