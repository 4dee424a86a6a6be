@_exported import CPUKernelInterface
import CPUKernelsPortable
import DigitsCore
import Foundation

#if arch(x86_64)
  import CPUKernelsAVX2
  import CPUKernelsAVX512
#endif

/// The CPU implementation of `Backend`: one build of the kernels (`CPUPath`), chosen when
/// the backend is made, with every op passed straight to it (one indirect call per op, which
/// does a whole layer on a batch).
///
/// Every op is synchronous. Results depend only on the inputs, the path and the thread count.
/// The backend is not thread-safe: call it from one thread at a time.
public final class CPUBackend: Backend {
  /// The instruction set the kernels were compiled for.
  public let path: CPUPath
  let kernels: any CPUKernels

  /// A backend on `path` (default: the fastest this CPU runs).
  /// - Precondition: `path` is in `CPUPath.supported` (`CPUPath.fromEnvironment` checks a
  ///   user's choice with a proper error).
  public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount, path: CPUPath = .fastest) {
    precondition(CPUPath.supported.contains(path), "CPU path \(path) cannot run on this CPU")
    self.path = path
    switch path {
    #if arch(x86_64)
      case .avx512: kernels = CPUKernelsAVX512.SIMDBackend(threads: threads)
      case .avx2: kernels = CPUKernelsAVX2.SIMDBackend(threads: threads)
    #else
      case .avx512, .avx2: fatalError("unreachable: not in CPUPath.supported")
    #endif
    case .portable: kernels = CPUKernelsPortable.SIMDBackend(threads: threads)
    }
  }

  /// Number of threads each op uses (1 to 64).
  public var threads: Int { kernels.threads }

  /// "cpu (avx512, 2 threads)".
  public var name: String {
    "cpu (\(path), \(threads) thread\(threads == 1 ? "" : "s"))"
  }

  /// C[M,N] = A[M,K] * B[K,N] (+ C if `accumulate`) (+ bias[j] per column), then max(0, .)
  /// if `relu`. Float32 accumulation in a fixed order: the same inputs, path and thread count
  /// give bit-identical results.
  public func gemm(
    _ a: MatrixView, _ b: MatrixView, into c: MutableMatrixView,
    accumulate: Bool = false, bias: UnsafePointer<Float>? = nil, relu: Bool = false
  ) {
    kernels.gemm(a, b, into: c, accumulate: accumulate, bias: bias, relu: relu)
  }

  public var counters: DeviceCounters { kernels.counters }
  public var inferenceBatchSize: Int { kernels.inferenceBatchSize }

  public func makeTensor(_ shape: [Int]) -> Tensor { kernels.makeTensor(shape) }
  public func upload(_ values: UnsafeBufferPointer<Float>, to tensor: Tensor) { kernels.upload(values, to: tensor) }
  public func download(_ tensor: Tensor) -> [Float] { kernels.download(tensor) }
  public func zero(_ tensor: Tensor) { kernels.zero(tensor) }
  public func synchronize() { kernels.synchronize() }

  public func conv2dForward(input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, relu: Bool) {
    kernels.conv2dForward(input: x, weight: w, bias: b, output: y, relu: relu)
  }
  public func conv2dBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor) {
    kernels.conv2dBackwardInput(outputGrad: dy, weight: w, inputGrad: dx)
  }
  public func conv2dBackwardWeight(input x: Tensor, outputGrad dy: Tensor, weightGrad dw: Tensor, biasGrad db: Tensor) {
    kernels.conv2dBackwardWeight(input: x, outputGrad: dy, weightGrad: dw, biasGrad: db)
  }
  public func reluBackward(output y: Tensor, outputGrad dy: Tensor) {
    kernels.reluBackward(output: y, outputGrad: dy)
  }
  public func maxPool2Forward(input x: Tensor, output y: Tensor, argmax: Tensor) {
    kernels.maxPool2Forward(input: x, output: y, argmax: argmax)
  }
  public func conv2dReLUPoolForward(
    input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, convOutput: Tensor, argmax: Tensor
  ) {
    kernels.conv2dReLUPoolForward(input: x, weight: w, bias: b, output: y, convOutput: convOutput, argmax: argmax)
  }
  public func maxPool2Backward(outputGrad dy: Tensor, argmax: Tensor, inputGrad dx: Tensor) {
    kernels.maxPool2Backward(outputGrad: dy, argmax: argmax, inputGrad: dx)
  }
  public func denseForward(input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, relu: Bool) {
    kernels.denseForward(input: x, weight: w, bias: b, output: y, relu: relu)
  }
  public func denseBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor) {
    kernels.denseBackwardInput(outputGrad: dy, weight: w, inputGrad: dx)
  }
  public func denseBackwardWeight(input x: Tensor, outputGrad dy: Tensor, weightGrad dw: Tensor, biasGrad db: Tensor) {
    kernels.denseBackwardWeight(input: x, outputGrad: dy, weightGrad: dw, biasGrad: db)
  }
  public func softmaxCrossEntropy(logits: Tensor, labels: Tensor, logitsGrad: Tensor, stats: Tensor) {
    kernels.softmaxCrossEntropy(logits: logits, labels: labels, logitsGrad: logitsGrad, stats: stats)
  }
  public func crossEntropyStats(logits: Tensor, labels: Tensor, stats: Tensor) {
    kernels.crossEntropyStats(logits: logits, labels: labels, stats: stats)
  }
  public func softmax(logits: Tensor, probabilities: Tensor) {
    kernels.softmax(logits: logits, probabilities: probabilities)
  }
  public func adamUpdate(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor, step: AdamStep) {
    kernels.adamUpdate(parameter: parameter, gradient: gradient, m: m, v: v, step: step)
  }
}
