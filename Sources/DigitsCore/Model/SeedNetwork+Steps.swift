/// Steps whose batch is placed in the workspace by the caller (from host arrays, or by a
/// gather kernel on the device), and the parameter update in one launch where the backend
/// can. The trainer and evaluator use these; `trainStep(pixels:...)` stays the plain form.
extension SeedNetwork {
  /// One Adam step on a batch of `count` images that `fill(input, labels)` puts in place.
  func trainStep(count: Int, stats: Tensor, learningRate: Float, fill: (_ input: Tensor, _ labels: Tensor) -> Void) {
    let w = workspace(count)
    fill(w.input, w.labels)
    forward(w)
    if let fused = backend as? FusedReLUBackwardBackend {
      backward(w, stats: stats, fused: fused)
    } else {
      backward(w, stats: stats)
    }
    step += 1
    updateParameters(AdamStep(learningRate: learningRate, step: step))
  }

  /// Adds (sum of losses, correct count) of a batch placed by `fill` to `stats`.
  func evaluate(count: Int, stats: Tensor, fill: (_ input: Tensor, _ labels: Tensor) -> Void) {
    let w = workspace(count)
    fill(w.input, w.labels)
    forward(w)
    backend.crossEntropyStats(logits: w.logits, labels: w.labels, stats: stats)
  }

  /// Class probabilities [count * 10] of a batch placed by `fill` (labels unused).
  func probabilities(count: Int, fill: (_ input: Tensor, _ labels: Tensor) -> Void) -> [Float] {
    let w = workspace(count)
    fill(w.input, w.labels)
    forward(w)
    backend.softmax(logits: w.logits, probabilities: w.probabilities)
    return backend.download(w.probabilities)
  }

  /// `backward(_:stats:)` with each ReLU backward folded into the op before it: 10 ops, not 13.
  func backward(_ w: Workspace, stats: Tensor, fused b: FusedReLUBackwardBackend) {
    let p = parameters, g = gradients
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

  /// One Adam update of every parameter: one launch on a `FusedAdamBackend`.
  func updateParameters(_ hyper: AdamStep) {
    if let fused = backend as? FusedAdamBackend {
      fused.adamUpdate(
        parameters: parameters, gradients: gradients, m: moments.map(\.m), v: moments.map(\.v), step: hyper)
      return
    }
    for i in parameters.indices {
      backend.adamUpdate(
        parameter: parameters[i], gradient: gradients[i], m: moments[i].m, v: moments[i].v, step: hyper)
    }
  }
}
