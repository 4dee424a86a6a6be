import Benchmark
import CPUBackend
import DigitsCore
import Foundation
import OpenCLBackend

/// CPU backend and OpenCL device benchmarks at the seed network's real shapes (batch 128):
/// Conv32 3x3 ReLU, MaxPool2, Conv64 3x3 ReLU, MaxPool2, Dense128 ReLU, Dense10.
///
/// Each benchmark reports wall clock and CPU time; the GEMM and convolution ones also report
/// "GFLOP/s" (a custom metric: useful FLOPs over the measured wall time of one iteration), and
/// all report malloc counts, which must stay 0 for the training ops once scratch has grown.
/// Thread counts: 1 and the machine's core count.
let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .cpuTotal, .mallocCountTotal, gflops],
    warmupIterations: 3,
    maxDuration: .seconds(2),
    maxIterations: 1000)

  let cores = ProcessInfo.processInfo.activeProcessorCount
  for threads in Set([1, cores]).sorted() {
    gemmBenchmarks(threads: threads)
    layerBenchmarks(label: "threads=\(threads)") { CPUBackend(threads: threads) }
  }
  // Every OpenCL device present (PoCL included: slow, but it shows the kernels run).
  for device in (try? OpenCLDevices.list()) ?? [] {
    layerBenchmarks(label: "opencl=\(device.index) \(device.name)") {
      try! OpenCLBackend(deviceIndex: device.index)
    }
  }
}

let gflops = BenchmarkMetric.custom("GFLOP/s", polarity: .prefersLarger, useScalingFactor: false)

/// Runs `body` once per scaled iteration and reports `flops / seconds` as GFLOP/s.
func measure(_ benchmark: Benchmark, flops: Double, _ body: () -> Void) {
  for _ in benchmark.scaledIterations {
    let start = ContinuousClock.now
    body()
    let seconds = (ContinuousClock.now - start) / .seconds(1)
    if flops > 0 { benchmark.measurement(gflops, Int(flops / seconds / 1e9)) }
  }
}

func randomValues(_ count: Int) -> [Float] {
  var state: UInt64 = 0x9E37_79B9_7F4A_7C15
  return (0..<count).map { _ in
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Float(Int(state >> 40) - (1 << 23)) / Float(1 << 23)
  }
}

/// Plain GEMMs (row-major operands, as `CPUBackend.gemm` sees them) at the shapes of the two
/// biggest layers: conv2 forward per image (W[64,288] * im2col[288,121]) and the first dense
/// layer (x[128,1600] * w^T[1600,128]).
func gemmBenchmarks(threads: Int) {
  let shapes: [(name: String, m: Int, n: Int, k: Int, transposedB: Bool)] = [
    ("conv2 64x288*288x121", 64, 121, 288, false),
    ("dense1 128x1600*1600x128 (B^T)", 128, 128, 1600, true),
  ]
  for s in shapes {
    Benchmark("GEMM \(s.name) threads=\(threads)") { benchmark in
      let backend = CPUBackend(threads: threads)
      let a = randomValues(s.m * s.k), b = randomValues(s.k * s.n)
      var c = [Float](repeating: 0, count: s.m * s.n)
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          c.withUnsafeMutableBufferPointer { c in
            let av = MatrixView(a.baseAddress!, rows: s.m, columns: s.k, rowStride: s.k)
            let bv = s.transposedB
              ? MatrixView(b.baseAddress!, rows: s.k, columns: s.n, rowStride: 1, columnStride: s.k)
              : MatrixView(b.baseAddress!, rows: s.k, columns: s.n, rowStride: s.n)
            let cv = MutableMatrixView(c.baseAddress!, rows: s.m, columns: s.n, rowStride: s.n)
            backend.gemm(av, bv, into: cv)
            benchmark.startMeasurement()
            measure(benchmark, flops: 2 * Double(s.m * s.n * s.k)) { backend.gemm(av, bv, into: cv) }
            benchmark.stopMeasurement()
          }
        }
      }
      blackHole(c)
    }
  }
}
