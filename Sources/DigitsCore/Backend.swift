import Foundation

/// Hyper-parameters of one Adam step, with the bias corrections already folded in by the
/// caller (Keras 3 formulation):
///   m += (1 - beta1) * (g - m);  v += (1 - beta2) * (g*g - v)
///   p -= stepSize * m / (sqrt(v) + epsilon),  stepSize = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
public struct AdamStep: Sendable, Equatable {
  public var stepSize: Float
  public var beta1: Float
  public var beta2: Float
  public var epsilon: Float

  public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7, step t: Int) {
    let correction1 = 1 - pow(Double(beta1), Double(t))
    let correction2 = 1 - pow(Double(beta2), Double(t))
    self.stepSize = Float(Double(learningRate) * correction2.squareRoot() / correction1)
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
  }
}

/// One implementation of the network's layer operations on a device.
///
/// Letters: N batch, C input channels, K output channels, H/W input rows/columns,
/// OH = H - 2, OW = W - 2 (3x3 valid convolution, stride 1), I/O dense inputs/outputs.
/// All tensors are Float32; every op reads its sizes from the tensor shapes. Ops that write
/// an output overwrite it completely (gradients are not accumulated across calls) unless
/// they say otherwise. Ops may run asynchronously: `download` and `synchronize` wait.
///
/// The plain ops are what every backend must write. The fused ops, the data ops and the
/// profiling requirements have defaults built from them (Backend+Defaults.swift), the way
/// `Sequence.withContiguousStorageIfAvailable` has one: a backend overrides one where it can
/// do better (OpenCL does all), and callers never ask which backend they hold.
public protocol Backend: AnyObject {
  /// Short description for logs, e.g. "cpu (2 threads, AVX2)".
  var name: String { get }
  /// A device failure since the backend was made (out of device memory, a lost GPU), after
  /// which every result is meaningless; nil while all is well. Ops do not throw, so callers
  /// check this (`throwIfFaulted`) before they use what they downloaded.
  var fault: DigitsError? { get }
  /// How many images to forward at once when only answers are wanted (evaluation,
  /// prediction): a device wants few large launches; the CPU wants a batch whose activations
  /// stay in its caches.
  var inferenceBatchSize: Int { get }

  /// A zero-filled tensor of this shape.
  func makeTensor(_ shape: [Int]) -> Tensor
  func upload(_ values: UnsafeBufferPointer<Float>, to tensor: Tensor)
  func download(_ tensor: Tensor) -> [Float]
  /// Sets every element of `tensor` to zero.
  func zero(_ tensor: Tensor)
  /// Waits until all queued work is finished.
  func synchronize()

  /// y[N,K,OH,OW] = conv(x[N,C,H,W], w[K,C,3,3]) + b[K], then max(0, .) if `relu`.
  func conv2dForward(input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, relu: Bool)
  /// dx[N,C,H,W] = full correlation of dy[N,K,OH,OW] with w[K,C,3,3] flipped.
  func conv2dBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor)
  /// dw[K,C,3,3] = sum over n, oy, ox of dy * x window; db[K] = sum of dy.
  func conv2dBackwardWeight(input x: Tensor, outputGrad dy: Tensor, weightGrad dw: Tensor, biasGrad db: Tensor)

  /// dy *= (y > 0), in place: the ReLU backward pass given the ReLU's output y.
  func reluBackward(output y: Tensor, outputGrad dy: Tensor)

  /// y[N,C,H/2,W/2] = max over each 2x2 window (odd trailing rows/columns are dropped);
  /// argmax[N,C,H/2,W/2] holds the winner's offset in its window (0...3, row-major) as Float.
  func maxPool2Forward(input x: Tensor, output y: Tensor, argmax: Tensor)
  /// dx[N,C,H,W] = dy routed to each window's winner, zero elsewhere.
  func maxPool2Backward(outputGrad dy: Tensor, argmax: Tensor, inputGrad dx: Tensor)

  /// y[N,O] = x[N,I] * w[O,I]^T + b[O], then max(0, .) if `relu`. x may have any shape whose
  /// trailing elements multiply to I (NCHW flatten order).
  func denseForward(input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, relu: Bool)
  /// dx[N,I] = dy[N,O] * w[O,I].
  func denseBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor)
  /// dw[O,I] = dy^T * x;  db[O] = column sums of dy.
  func denseBackwardWeight(input x: Tensor, outputGrad dy: Tensor, weightGrad dw: Tensor, biasGrad db: Tensor)

  /// Softmax over the last axis of logits[N,10], cross-entropy against labels[N] (class index
  /// stored as Float). Writes dlogits = (p - onehot) / N and ADDS (sum of losses, number of
  /// correct argmax predictions) to stats[0] and stats[1].
  func softmaxCrossEntropy(logits: Tensor, labels: Tensor, logitsGrad: Tensor, stats: Tensor)
  /// Like softmaxCrossEntropy without the gradient: for evaluation.
  func crossEntropyStats(logits: Tensor, labels: Tensor, stats: Tensor)
  /// p[N,10] = softmax(logits[N,10]).
  func softmax(logits: Tensor, probabilities: Tensor)

  /// One Adam update of `parameter` from `gradient`, with moment buffers m and v.
  func adamUpdate(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor, step: AdamStep)

  // MARK: - Fused ops (defaults: the plain ops in turn)

  /// conv2dForward with ReLU, then maxPool2Forward, y[N,K,OH/2,OW/2]: a convolution block's
  /// forward pass when nothing is kept for a backward pass (answers, evaluation). `convOutput`
  /// [N,K,OH,OW] and `argmax` (y's shape) are scratch for a backend that runs the plain ops;
  /// a fused kernel need not touch them.
  func conv2dReLUPoolForward(
    input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, convOutput: Tensor, argmax: Tensor)
  /// denseBackwardInput, then, with `reluOutput`, reluBackward(output: reluOutput, outputGrad: dx):
  /// the gradient through the ReLU of the layer below, in one pass where the backend can.
  func denseBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor, reluOutput: Tensor?)
  /// maxPool2Backward, then, with `reluOutput` (the pooled layer's ReLU output),
  /// reluBackward(output: reluOutput, outputGrad: dx).
  func maxPool2Backward(outputGrad dy: Tensor, argmax: Tensor, inputGrad dx: Tensor, reluOutput: Tensor?)
  /// `adamUpdate` on every (parameters[i], gradients[i], m[i], v[i]).
  func adamUpdate(parameters: [Tensor], gradients: [Tensor], m: [Tensor], v: [Tensor], step: AdamStep)

  // MARK: - Data (defaults: bytes kept on the host, each batch scaled there and uploaded)

  /// Keeps `data` for `gather`: a backend that can holds the bytes in device memory
  /// (uploaded once, a quarter of Float32), so a step sends the device nothing.
  func makeImageSet(_ data: LabeledImages) -> ImageSet
  /// Sets the image indices `gather` takes in turn (a permutation of 0..<count, nil for the
  /// stored order); a device backend uploads them here, once an epoch, not in the steps.
  func setOrder(_ order: [Int]?, of images: ImageSet)
  /// pixels[i, 1, H, W] = image order[start + i] / 255 and labels[i] its label, for
  /// i < labels.count.
  func gather(_ images: ImageSet, start: Int, pixels: Tensor, labels: Tensor)
  /// `gather`, then the batch augmented: on the device as `augmentation.device` says where the
  /// backend does that, else on the host by `augmentation.host`. Either draws from `rng`.
  func gather(
    _ images: ImageSet, start: Int, pixels: Tensor, labels: Tensor, augmentation: BatchAugmentation,
    rng: inout SeededGenerator)
  /// Hands queued work to the device without waiting for it (clFlush); the end of a step.
  func flush()

  // MARK: - Profiling (defaults: nothing counted, nothing timed)

  /// What the host asked of the device since the backend was made (cheap; never waits).
  var counters: DeviceCounters { get }
  /// Time per op since the backend was made (waits for queued work first); empty when the
  /// backend does not time its ops (`TimedBackend` does it for any backend).
  func opTimes() -> [OpTime]
}

extension Backend {
  /// Backends whose ops cannot fail at run time (the CPU) never fault.
  public var fault: DigitsError? { nil }

  /// Throws the backend's fault, if it has one.
  public func throwIfFaulted() throws {
    if let fault { throw fault }
  }

  /// Uploads host values into a new tensor of the given shape.
  public func makeTensor(_ shape: [Int], values: [Float]) -> Tensor {
    let t = makeTensor(shape)
    values.withUnsafeBufferPointer { upload($0, to: t) }
    return t
  }
}
