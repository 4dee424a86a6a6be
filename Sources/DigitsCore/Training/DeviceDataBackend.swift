/// A labelled image set held in device memory by a `DeviceDataBackend`.
public protocol DeviceImages: AnyObject {
  var count: Int { get }
}

/// A backend that keeps image sets in device memory (as uint8, uploaded once) and builds each
/// batch there with a gather kernel, so a training step sends the device nothing but a
/// kernel argument (issue 15). The trainer checks `as? DeviceDataBackend`; a backend without
/// it (the CPU) gets each batch uploaded from the host as before.
public protocol DeviceDataBackend: Backend {
  /// Uploads `data` (pixels and labels, as bytes) once.
  func makeDeviceImages(_ data: LabeledImages) -> any DeviceImages
  /// pixels[n, 1, side, side] = images[order[start + i]] / 255 and labels[n] = their labels,
  /// for i < n = labels.count. `order` holds image indices as Float (exact below 2^24); nil
  /// means images start..<start+n in order.
  func gather(_ images: any DeviceImages, order: Tensor?, start: Int, pixels: Tensor, labels: Tensor)
  /// Hands the queued work to the device without waiting for it (clFlush).
  func flush()
}

/// A backend that augments the images it gathers, on the device (issue 15: `--recipe best`
/// with the training set resident). The trainer uses it when `TrainingConfig.deviceAugmentation`
/// is set; the host reference is DigitsVision's `Augmentation` with the same settings
/// (`Augmentation.apply(_:count:batchSeed:)`).
public protocol DeviceAugmentingBackend: DeviceDataBackend {
  /// `gather`, then the image in slot i augmented as `augmentation` says with the generator
  /// `SeededGenerator(seed: DeviceAugmentation.imageSeed(batchSeed: batchSeed, slot: i))`.
  func gather(
    _ images: any DeviceImages, order: Tensor?, start: Int, pixels: Tensor, labels: Tensor,
    augmentation: DeviceAugmentation, batchSeed: UInt64)
}

/// A backend that updates every parameter tensor with one Adam launch.
public protocol FusedAdamBackend: Backend {
  /// `adamUpdate` on every (parameter, gradient, m, v) at once.
  func adamUpdate(parameters: [Tensor], gradients: [Tensor], m: [Tensor], v: [Tensor], step: AdamStep)
}

/// A backend that folds the ReLU backward pass into the op that produces the gradient, saving
/// a launch and a pass over memory each (issue 15: ReLU backward folded into the kernels).
public protocol FusedReLUBackwardBackend: Backend {
  /// denseBackwardInput, then reluBackward(output: reluOutput, outputGrad: dx), in one pass.
  func denseBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor, reluOutput: Tensor?)
  /// maxPool2Backward, then reluBackward(output: reluOutput, outputGrad: dx), in one pass.
  func maxPool2Backward(outputGrad dy: Tensor, argmax: Tensor, inputGrad dx: Tensor, reluOutput: Tensor?)
}
