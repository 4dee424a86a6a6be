import DigitsCore

/// What every build of the CPU kernels offers (`CPUKernelsAVX512`, `CPUKernelsAVX2`,
/// `CPUKernelsPortable` compile the same source, Sources/CPUKernels, for different
/// instruction sets): the `Backend` ops plus the plain GEMM. `CPUBackend.make` returns one
/// of them.
public protocol CPUKernels: Backend {
  /// Number of threads each op uses.
  var threads: Int { get }
  /// The instruction set this build was compiled for.
  var path: CPUPath { get }

  /// C[M,N] = A[M,K] * B[K,N] (+ C if `accumulate`) (+ bias[j] per column), then max(0, .)
  /// if `relu`.
  func gemm(
    _ a: MatrixView, _ b: MatrixView, into c: MutableMatrixView, accumulate: Bool, bias: UnsafePointer<Float>?,
    relu: Bool)
}

extension CPUKernels {
  /// C = A * B: `gemm` without accumulation, bias or ReLU.
  public func gemm(_ a: MatrixView, _ b: MatrixView, into c: MutableMatrixView) {
    gemm(a, b, into: c, accumulate: false, bias: nil, relu: false)
  }
}
