import DigitsCore

/// Whole training steps on several backends, for comparing them: the seed network from one
/// seed, `steps` Adam steps (learning rate 1e-3) of `batch` images each, taken in order.
public enum TrainingAgreement {
  /// What one backend's network ended with.
  public struct Result {
    /// Every parameter tensor (`SeedNetwork.parameterValues()`).
    public var weights: [[Float]]
    /// The training statistics summed over the steps: loss, correct count.
    public var stats: [Float]
    /// The network's step counter.
    public var steps: Int
  }

  /// `pixels` ([steps * batch * 784], in [0, 1]) and `labels` ([steps * batch]) feed every
  /// backend the same steps; throws the first backend fault.
  public static func run(
    on backends: [any Backend], pixels: [Float], labels: [Float], steps: Int, batch: Int, seed: UInt64
  ) throws -> [Result] {
    precondition(labels.count >= steps * batch && pixels.count >= labels.count * MNISTShape.pixels)
    return try backends.map { backend in
      let network = SeedNetwork(backend: backend, seed: seed)
      let stats = backend.makeTensor([2])
      for step in 0..<steps {
        let images = (step * batch)..<(step * batch + batch)
        let range = (images.lowerBound * MNISTShape.pixels)..<(images.upperBound * MNISTShape.pixels)
        pixels[range].withUnsafeBufferPointer { p in
          labels[images].withUnsafeBufferPointer { l in
            network.trainStep(pixels: p, labels: l, stats: stats, learningRate: 1e-3)
          }
        }
      }
      let result = Result(weights: network.parameterValues(), stats: backend.download(stats), steps: network.step)
      try backend.throwIfFaulted()
      return result
    }
  }
}
