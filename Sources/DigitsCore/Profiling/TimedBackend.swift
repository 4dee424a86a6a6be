import Foundation

/// Wraps any backend and times each requirement it is called with on the host clock: the
/// `--profile` of backends without device events (the CPU). The CPU's ops finish before they
/// return, so a call's wall time is the op's time; on an asynchronous backend it would only
/// be the enqueue time. Every requirement goes to the wrapped backend's own implementation,
/// so wrapping loses no fused or device path; the counters are the wrapped backend's.
public final class TimedBackend: Backend {
  public let inner: any Backend
  private var times: [String: OpTime] = [:]

  public init(_ inner: any Backend) { self.inner = inner }

  public var name: String { inner.name }
  public var fault: DigitsError? { inner.fault }
  public var inferenceBatchSize: Int { inner.inferenceBatchSize }
  public var counters: DeviceCounters { inner.counters }
  public func opTimes() -> [OpTime] { Array(times.values) }

  private func timed<T>(_ name: String, _ phase: OpPhase, _ body: () -> T) -> T {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = body()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    times[name, default: OpTime(name: name, phase: phase)].calls += 1
    times[name]!.seconds += seconds
    return result
  }

  public func makeTensor(_ shape: [Int]) -> Tensor { inner.makeTensor(shape) }
  public func upload(_ values: UnsafeBufferPointer<Float>, to tensor: Tensor) {
    timed("upload", .transfer) { inner.upload(values, to: tensor) }
  }
  public func download(_ tensor: Tensor) -> [Float] { timed("download", .transfer) { inner.download(tensor) } }
  public func zero(_ tensor: Tensor) { timed("zero", .transfer) { inner.zero(tensor) } }
  public func synchronize() { inner.synchronize() }
  public func flush() { inner.flush() }

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
  public func conv2dReLUPoolForward(
    input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, convOutput: Tensor, argmax: Tensor
  ) {
    timed("conv2dReLUPoolForward", .forward) {
      inner.conv2dReLUPoolForward(input: x, weight: w, bias: b, output: y, convOutput: convOutput, argmax: argmax)
    }
  }
  public func maxPool2Backward(outputGrad dy: Tensor, argmax: Tensor, inputGrad dx: Tensor) {
    timed("maxPool2Backward", .backward) { inner.maxPool2Backward(outputGrad: dy, argmax: argmax, inputGrad: dx) }
  }
  public func maxPool2Backward(outputGrad dy: Tensor, argmax: Tensor, inputGrad dx: Tensor, reluOutput: Tensor?) {
    timed(reluOutput == nil ? "maxPool2Backward" : "maxPool2Backward+relu", .backward) {
      inner.maxPool2Backward(outputGrad: dy, argmax: argmax, inputGrad: dx, reluOutput: reluOutput)
    }
  }
  public func denseForward(input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, relu: Bool) {
    timed("denseForward", .forward) { inner.denseForward(input: x, weight: w, bias: b, output: y, relu: relu) }
  }
  public func denseBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor) {
    timed("denseBackwardInput", .backward) { inner.denseBackwardInput(outputGrad: dy, weight: w, inputGrad: dx) }
  }
  public func denseBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor, reluOutput: Tensor?) {
    timed(reluOutput == nil ? "denseBackwardInput" : "denseBackwardInput+relu", .backward) {
      inner.denseBackwardInput(outputGrad: dy, weight: w, inputGrad: dx, reluOutput: reluOutput)
    }
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
  public func adamUpdate(parameters: [Tensor], gradients: [Tensor], m: [Tensor], v: [Tensor], step: AdamStep) {
    timed("adamUpdate (all)", .update) {
      inner.adamUpdate(parameters: parameters, gradients: gradients, m: m, v: v, step: step)
    }
  }

  public func makeImageSet(_ data: LabeledImages) -> ImageSet {
    timed("makeImageSet", .transfer) { inner.makeImageSet(data) }
  }
  public func setOrder(_ order: [Int]?, of images: ImageSet) {
    timed("setOrder", .transfer) { inner.setOrder(order, of: images) }
  }
  public func gather(_ images: ImageSet, start: Int, pixels: Tensor, labels: Tensor) {
    timed("gather", .transfer) { inner.gather(images, start: start, pixels: pixels, labels: labels) }
  }
  public func gather(
    _ images: ImageSet, start: Int, pixels: Tensor, labels: Tensor, augmentation: BatchAugmentation,
    rng: inout SeededGenerator
  ) {
    timed("gather (augmented)", .transfer) {
      inner.gather(images, start: start, pixels: pixels, labels: labels, augmentation: augmentation, rng: &rng)
    }
  }
}
