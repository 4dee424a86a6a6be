import Foundation

/// Wraps any backend and times each op with the host clock: the `--profile` of backends
/// without device events (the CPU). The CPU's ops finish before they return, so a call's
/// wall time is the op's time; on an asynchronous backend it would only be the enqueue time.
public final class TimedBackend: ProfilingBackend {
  public let inner: any Backend
  private var times: [String: OpTime] = [:]
  public private(set) var counters = DeviceCounters()

  public init(_ inner: any Backend) { self.inner = inner }

  public var name: String { inner.name }
  public var fault: DigitsError? { inner.fault }
  public func opTimes() -> [OpTime] { Array(times.values) }

  private func timed<T>(_ name: String, _ phase: OpPhase, _ body: () -> T) -> T {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = body()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    times[name, default: OpTime(name: name, phase: phase)].calls += 1
    times[name]!.seconds += seconds
    counters.launches += 1
    return result
  }

  public func makeTensor(_ shape: [Int]) -> Tensor { inner.makeTensor(shape) }
  public func upload(_ values: UnsafeBufferPointer<Float>, to tensor: Tensor) {
    counters.bytesUploaded += values.count * MemoryLayout<Float>.stride
    timed("upload", .transfer) { inner.upload(values, to: tensor) }
  }
  public func download(_ tensor: Tensor) -> [Float] {
    counters.hostWaits += 1
    counters.bytesDownloaded += tensor.count * MemoryLayout<Float>.stride
    return timed("download", .transfer) { inner.download(tensor) }
  }
  public func zero(_ tensor: Tensor) {
    counters.fills += 1
    counters.launches -= 1
    timed("zero", .transfer) { inner.zero(tensor) }
  }
  public func synchronize() {
    counters.hostWaits += 1
    inner.synchronize()
  }

  public func conv2dForward(input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, relu: Bool) {
    timed("conv2dForward", .forward) { inner.conv2dForward(input: x, weight: w, bias: b, output: y, relu: relu) }
  }
  public func conv2dBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor) {
    timed("conv2dBackwardInput", .backward) { inner.conv2dBackwardInput(outputGrad: dy, weight: w, inputGrad: dx) }
  }
  public func conv2dBackwardWeight(input x: Tensor, outputGrad dy: Tensor, weightGrad dw: Tensor, biasGrad db: Tensor) {
    timed("conv2dBackwardWeight", .backward) {
      inner.conv2dBackwardWeight(input: x, outputGrad: dy, weightGrad: dw, biasGrad: db)
    }
  }
  public func reluBackward(output y: Tensor, outputGrad dy: Tensor) {
    timed("reluBackward", .backward) { inner.reluBackward(output: y, outputGrad: dy) }
  }
  public func maxPool2Forward(input x: Tensor, output y: Tensor, argmax: Tensor) {
    timed("maxPool2Forward", .forward) { inner.maxPool2Forward(input: x, output: y, argmax: argmax) }
  }
  public func maxPool2Backward(outputGrad dy: Tensor, argmax: Tensor, inputGrad dx: Tensor) {
    timed("maxPool2Backward", .backward) { inner.maxPool2Backward(outputGrad: dy, argmax: argmax, inputGrad: dx) }
  }
  public func denseForward(input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, relu: Bool) {
    timed("denseForward", .forward) { inner.denseForward(input: x, weight: w, bias: b, output: y, relu: relu) }
  }
  public func denseBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor) {
    timed("denseBackwardInput", .backward) { inner.denseBackwardInput(outputGrad: dy, weight: w, inputGrad: dx) }
  }
  public func denseBackwardWeight(input x: Tensor, outputGrad dy: Tensor, weightGrad dw: Tensor, biasGrad db: Tensor) {
    timed("denseBackwardWeight", .backward) {
      inner.denseBackwardWeight(input: x, outputGrad: dy, weightGrad: dw, biasGrad: db)
    }
  }
  public func softmaxCrossEntropy(logits: Tensor, labels: Tensor, logitsGrad: Tensor, stats: Tensor) {
    timed("softmaxCrossEntropy", .backward) {
      inner.softmaxCrossEntropy(logits: logits, labels: labels, logitsGrad: logitsGrad, stats: stats)
    }
  }
  public func crossEntropyStats(logits: Tensor, labels: Tensor, stats: Tensor) {
    timed("crossEntropyStats", .forward) { inner.crossEntropyStats(logits: logits, labels: labels, stats: stats) }
  }
  public func softmax(logits: Tensor, probabilities: Tensor) {
    timed("softmax", .forward) { inner.softmax(logits: logits, probabilities: probabilities) }
  }
  public func adamUpdate(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor, step: AdamStep) {
    timed("adamUpdate", .update) { inner.adamUpdate(parameter: parameter, gradient: gradient, m: m, v: v, step: step) }
  }
}
