/// The defaults of `Backend`'s fused, data and profiling requirements, built from the plain
/// ops: what the CPU and the Float64 reference run, and what a device backend falls back to.
extension Backend {
  public var inferenceBatchSize: Int { 500 }

  public func conv2dReLUPoolForward(
    input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, convOutput: Tensor, argmax: Tensor
  ) {
    conv2dForward(input: x, weight: w, bias: b, output: convOutput, relu: true)
    maxPool2Forward(input: convOutput, output: y, argmax: argmax)
  }

  public func denseBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor, reluOutput: Tensor?) {
    denseBackwardInput(outputGrad: dy, weight: w, inputGrad: dx)
    if let reluOutput { reluBackward(output: reluOutput, outputGrad: dx) }
  }

  public func maxPool2Backward(outputGrad dy: Tensor, argmax: Tensor, inputGrad dx: Tensor, reluOutput: Tensor?) {
    maxPool2Backward(outputGrad: dy, argmax: argmax, inputGrad: dx)
    if let reluOutput { reluBackward(output: reluOutput, outputGrad: dx) }
  }

  public func adamUpdate(parameters: [Tensor], gradients: [Tensor], m: [Tensor], v: [Tensor], step: AdamStep) {
    precondition(gradients.count == parameters.count && m.count == parameters.count && v.count == parameters.count)
    for i in parameters.indices {
      adamUpdate(parameter: parameters[i], gradient: gradients[i], m: m[i], v: v[i], step: step)
    }
  }

  public func makeImageSet(_ data: LabeledImages) -> ImageSet { ImageSet(data) }

  public func setOrder(_ order: [Int]?, of images: ImageSet) {
    precondition(order == nil || order!.count == images.count, "setOrder: \(order!.count) indices for \(images.count)")
    images.order = order
  }

  public func gather(_ images: ImageSet, start: Int, pixels: Tensor, labels: Tensor) {
    hostGather(images, start: start, pixels: pixels, labels: labels) { _, _ in }
  }

  public func gather(
    _ images: ImageSet, start: Int, pixels: Tensor, labels: Tensor, augmentation: BatchAugmentation,
    rng: inout SeededGenerator
  ) {
    hostGather(images, start: start, pixels: pixels, labels: labels) { batch, count in
      augmentation.host(&batch, count, &rng)
    }
  }

  public func flush() {}

  public var counters: DeviceCounters { DeviceCounters() }

  public func opTimes() -> [OpTime] { [] }

  /// The host gather: the batch's bytes scaled on the host, changed by `change(pixels, n)`
  /// (the first n images of `pixels` are the batch), then pixels and labels uploaded.
  public func hostGather(
    _ images: ImageSet, start: Int, pixels: Tensor, labels: Tensor, change: (inout [Float], Int) -> Void
  ) {
    let n = labels.count
    let size = n * images.data.pixelsPerImage
    ShapeCheck.require(
      pixels.count == size && start >= 0 && start + n <= images.count, "gather",
      "pixels \(pixels.shape), labels \(labels.shape), start \(start), set of \(images.count)")
    images.fillHostBatch(start: start, count: n)
    change(&images.pixels, n)
    images.pixels.withUnsafeBufferPointer { upload(UnsafeBufferPointer(rebasing: $0[0..<size]), to: pixels) }
    images.labels.withUnsafeBufferPointer { upload(UnsafeBufferPointer(rebasing: $0[0..<n]), to: labels) }
  }
}
