/// The network's one forward pass, one backward pass and one training step. A batch is put
/// in place by a `fill(input, labels)` the caller gives: the trainer and evaluator gather it
/// from an image set (`Backend.gather`), the public steps upload host arrays.
extension SeedNetwork {
  typealias Fill = (_ input: Tensor, _ labels: Tensor) -> Void

  /// One Adam step on a batch of `count` images that `fill` puts in place. Adds (sum of
  /// losses, correct count) to `stats` on the device.
  func trainStep(count: Int, stats: Tensor, learningRate: Float, fill: Fill) {
    let w = workspace(count)
    fill(w.input, w.labels)
    forward(w)
    backward(w, stats: stats)
    step += 1
    backend.adamUpdate(
      parameters: parameters, gradients: gradients, m: moments.map(\.m), v: moments.map(\.v),
      step: AdamStep(learningRate: learningRate, step: step))
  }

  /// Adds (sum of losses, correct count) of a batch placed by `fill` to `stats`.
  func evaluate(count: Int, stats: Tensor, fill: Fill) {
    let w = workspace(count)
    fill(w.input, w.labels)
    inferenceForward(w)
    backend.crossEntropyStats(logits: w.logits, labels: w.labels, stats: stats)
  }

  /// Class probabilities [count * classes] of a batch placed by `fill` (labels unused).
  func probabilities(count: Int, fill: Fill) -> [Float] {
    let w = workspace(count)
    fill(w.input, w.labels)
    inferenceForward(w)
    backend.softmax(logits: w.logits, probabilities: w.probabilities)
    return backend.download(w.probabilities)
  }

  /// The forward pass that keeps what `backward` reads: each convolution's output and the
  /// pooling winners.
  func forward(_ w: Workspace) {
    let b = backend, p = parameters
    b.conv2dForward(input: w.input, weight: p[0], bias: p[1], output: w.conv1, relu: true)
    b.maxPool2Forward(input: w.conv1, output: w.pool1, argmax: w.argmax1)
    b.conv2dForward(input: w.pool1, weight: p[2], bias: p[3], output: w.conv2, relu: true)
    b.maxPool2Forward(input: w.conv2, output: w.pool2, argmax: w.argmax2)
    denseForward(w)
  }

  /// The forward pass for answers only: each convolution block in one call, which a backend
  /// may fuse so the full-size convolution output never leaves the cache. Same values as
  /// `forward`.
  func inferenceForward(_ w: Workspace) {
    let b = backend, p = parameters
    b.conv2dReLUPoolForward(
      input: w.input, weight: p[0], bias: p[1], output: w.pool1, convOutput: w.conv1, argmax: w.argmax1)
    b.conv2dReLUPoolForward(
      input: w.pool1, weight: p[2], bias: p[3], output: w.pool2, convOutput: w.conv2, argmax: w.argmax2)
    denseForward(w)
  }

  private func denseForward(_ w: Workspace) {
    let b = backend, p = parameters
    b.denseForward(input: w.pool2, weight: p[4], bias: p[5], output: w.hidden, relu: true)
    b.denseForward(input: w.hidden, weight: p[6], bias: p[7], output: w.logits, relu: false)
  }

  /// Gradients of the mean cross-entropy of the batch into `gradients`, each ReLU backward
  /// pass folded into the op that produces its gradient (`reluOutput:`).
  func backward(_ w: Workspace, stats: Tensor) {
    let b = backend, p = parameters, g = gradients
    b.softmaxCrossEntropy(logits: w.logits, labels: w.labels, logitsGrad: w.dLogits, stats: stats)
    b.denseBackwardWeight(input: w.hidden, outputGrad: w.dLogits, weightGrad: g[6], biasGrad: g[7])
    b.denseBackwardInput(outputGrad: w.dLogits, weight: p[6], inputGrad: w.dHidden, reluOutput: w.hidden)
    b.denseBackwardWeight(input: w.pool2, outputGrad: w.dHidden, weightGrad: g[4], biasGrad: g[5])
    b.denseBackwardInput(outputGrad: w.dHidden, weight: p[4], inputGrad: w.dPool2)
    b.maxPool2Backward(outputGrad: w.dPool2, argmax: w.argmax2, inputGrad: w.dConv2, reluOutput: w.conv2)
    b.conv2dBackwardWeight(input: w.pool1, outputGrad: w.dConv2, weightGrad: g[2], biasGrad: g[3])
    b.conv2dBackwardInput(outputGrad: w.dConv2, weight: p[2], inputGrad: w.dPool1)
    b.maxPool2Backward(outputGrad: w.dPool1, argmax: w.argmax1, inputGrad: w.dConv1, reluOutput: w.conv1)
    b.conv2dBackwardWeight(input: w.input, outputGrad: w.dConv1, weightGrad: g[0], biasGrad: g[1])
  }

  // MARK: - Public steps on host arrays

  /// One Adam step on a batch: `pixels` holds n*784 values in [0,1], `labels` n class
  /// indices. Adds (sum of losses, correct count) to `stats` on the device.
  public func trainStep(
    pixels: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Float>, stats: Tensor, learningRate: Float
  ) {
    trainStep(count: labels.count, stats: stats, learningRate: learningRate, fill: upload(pixels, labels))
  }

  /// Computes the gradients of one batch without updating anything (for gradient checks).
  public func gradients(pixels: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Float>, stats: Tensor)
    -> [[Float]]
  {
    let w = workspace(labels.count)
    upload(pixels, labels)(w.input, w.labels)
    forward(w)
    backward(w, stats: stats)
    return gradients.map(backend.download)
  }

  /// Adds (sum of losses, correct count) of a batch to `stats`, without training.
  public func evaluate(pixels: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Float>, stats: Tensor) {
    evaluate(count: labels.count, stats: stats, fill: upload(pixels, labels))
  }

  /// Class probabilities [n * classes] for n images of 784 pixels in [0,1].
  public func probabilities(pixels: UnsafeBufferPointer<Float>) -> [Float] {
    let n = pixels.count / MNISTShape.pixels
    precondition(n * MNISTShape.pixels == pixels.count && n > 0)
    return probabilities(count: n, fill: upload(pixels, nil))
  }

  /// A fill that uploads `pixels` (n*784 values in [0,1]) and, if given, `labels`.
  private func upload(_ pixels: UnsafeBufferPointer<Float>, _ labels: UnsafeBufferPointer<Float>?) -> Fill {
    { input, labelTensor in
      self.backend.upload(pixels, to: input)
      if let labels { self.backend.upload(labels, to: labelTensor) }
    }
  }
}
