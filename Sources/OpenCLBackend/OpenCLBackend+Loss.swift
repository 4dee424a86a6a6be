import DigitsCore

/// loss.cl: softmax, cross-entropy and its gradient; loss and accuracy stay on the device
/// (added to `stats`) until the training loop downloads them.
extension OpenCLBackend {
  public func softmaxCrossEntropy(logits: Tensor, labels: Tensor, logitsGrad: Tensor, stats: Tensor) {
    ShapeCheck.require(
      logitsGrad.shape == logits.shape, "softmaxCrossEntropy", "logits \(logits.shape), grad \(logitsGrad.shape)")
    crossEntropy(logits: logits, labels: labels, grad: logitsGrad, stats: stats)
  }

  public func crossEntropyStats(logits: Tensor, labels: Tensor, stats: Tensor) {
    crossEntropy(logits: logits, labels: labels, grad: nil, stats: stats)
  }

  public func softmax(logits: Tensor, probabilities: Tensor) {
    ShapeCheck.require(
      logits.rank == 2 && probabilities.shape == logits.shape, "softmax",
      "logits \(logits.shape), probabilities \(probabilities.shape)")
    launch(
      .softmaxProbabilities, elements: logits[0], .mem(mem(logits).mem), .mem(mem(probabilities).mem),
      .int(logits[0]), .int(logits[1]))
  }

  private func crossEntropy(logits: Tensor, labels: Tensor, grad: Tensor?, stats: Tensor) {
    ShapeCheck.require(
      logits.rank == 2 && labels.count == logits[0] && stats.count >= 2, "crossEntropy",
      "logits \(logits.shape), labels \(labels.shape), stats \(stats.shape)")
    let (n, k) = (logits[0], logits[1])
    if n == 0 { return }
    let size = tuning.lossWorkGroup
    // One work-group walks every row, about 3k + 1 loop iterations a row: past the driver's
    // loop limit (with the same margin as the GEMM plans) its sums would stop short.
    if let loops = limits.loopIterations, (n + size - 1) / size * (3 * k + 1) > loops / 2 {
      fail(
        .call(
          "softmax_cross_entropy: \(n) rows of \(k) in one work-group of \(size) run past this driver's limit of "
            + "\(loops) loop iterations; clEnqueueNDRangeKernel", status: -5))
      return
    }
    launch(
      .softmaxCrossEntropy, global: [size], local: [size], .mem(mem(logits).mem), .mem(mem(labels).mem),
      .mem(mem(grad ?? logits).mem), .mem(mem(stats).mem), .int(n), .int(k), .int(grad == nil ? 0 : 1))
  }
}
