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
/// Thread counts: 1 and the machine's core count; CPU paths: every one this CPU runs
/// (`CPUPath.supported`: avx512, avx2, portable on an AVX-512 machine).
let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .cpuTotal, .mallocCountTotal, gflops],
    warmupIterations: 3,
    maxDuration: .seconds(2),
    maxIterations: 1000)

  let cores = ProcessInfo.processInfo.activeProcessorCount
  for path in CPUPath.supported {
    for threads in Set([1, cores]).sorted() {
      gemmBenchmarks(path: path, threads: threads)
      forwardBenchmark(label: "\(path) threads=\(threads)") { CPUBackend.make(threads: threads, path: path) }
      layerBenchmarks(label: "\(path) threads=\(threads)") { CPUBackend.make(threads: threads, path: path) }
    }
  }
  // Every OpenCL device present (PoCL included: slow, but it shows the kernels run).
  for device in (try? OpenCLDevices.list()) ?? [] {
    forwardBenchmark(label: "opencl=\(device.index) \(device.name)") { try! OpenCLBackend(deviceIndex: device.index) }
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

/// Plain GEMMs (row-major operands, as `CPUKernels.gemm` sees them) at the shapes of the two
/// biggest layers: conv2 forward per image (W[64,288] * im2col[288,121]) and the first dense
/// layer (x[128,1600] * w^T[1600,128]).
func gemmBenchmarks(path: CPUPath, threads: Int) {
  let shapes: [(name: String, m: Int, n: Int, k: Int, transposedB: Bool)] = [
    ("conv2 64x288*288x121", 64, 121, 288, false),
    ("dense1 128x1600*1600x128 (B^T)", 128, 128, 1600, true),
  ]
  for s in shapes {
    Benchmark("GEMM \(s.name) \(path) threads=\(threads)") { benchmark in
      let backend = CPUBackend.make(threads: threads, path: path)
      let a = randomValues(s.m * s.k), b = randomValues(s.k * s.n)
      var c = [Float](repeating: 0, count: s.m * s.n)
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          c.withUnsafeMutableBufferPointer { c in
            let av = MatrixView(a.baseAddress!, rows: s.m, columns: s.k, rowStride: s.k)
            let bv =
              s.transposedB
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

/// The forward pass over 10,000 digits (the size of the MNIST test set) the way `digits
/// evaluate` runs it (`Evaluator`, batches of 500, bytes to floats included), on random
/// pixels: 5.3 MFLOP an image (conv1 0.39, conv2 4.46, dense1 0.41, dense2 0.003).
func forwardBenchmark(label: String, make: @escaping @Sendable () -> any Backend) {
  let count = 10_000
  let flops = 2.0 * Double(count) * Double(26 * 26 * 32 * 9 + 11 * 11 * 64 * 288 + 1600 * 128 + 128 * 10)
  Benchmark("forward 10k images \(label)", configuration: .init(maxDuration: .seconds(5), maxIterations: 20)) {
    benchmark in
    var state: UInt64 = 7
    let pixels = (0..<(count * MNISTShape.pixels)).map { _ -> UInt8 in
      state = state &* 6_364_136_223_846_793_005 &+ 1
      return UInt8(truncatingIfNeeded: state >> 56)
    }
    let images = LabeledImages(
      images: pixels, labels: [UInt8](repeating: 0, count: count), rows: MNISTShape.side, columns: MNISTShape.side)
    let evaluator = Evaluator(network: SeedNetwork(backend: make(), seed: 1))
    blackHole(try! evaluator.probabilities(images))
    benchmark.startMeasurement()
    measure(benchmark, flops: flops) { blackHole(try! evaluator.probabilities(images)) }
    benchmark.stopMeasurement()
  }
}
