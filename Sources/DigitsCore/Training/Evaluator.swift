/// Runs a network over a labelled set in batches, without training: the set goes to the
/// backend once (`makeImageSet`; on OpenCL as bytes into device memory) and each batch is
/// gathered from it.
public struct Evaluator {
  public let network: SeedNetwork
  public var batchSize: Int

  /// `batchSize` nil: the backend's `inferenceBatchSize`.
  public init(network: SeedNetwork, batchSize: Int? = nil) {
    self.network = network
    self.batchSize = batchSize ?? network.backend.inferenceBatchSize
  }

  /// Mean cross-entropy and accuracy, computed on the device. Throws the backend's fault.
  public func lossAndAccuracy(_ data: LabeledImages) throws -> (loss: Double, accuracy: Double) {
    try lossAndAccuracy(network.backend.makeImageSet(data))
  }

  /// Mean cross-entropy and accuracy of a set the backend already holds (the trainer keeps its
  /// validation set). Throws the backend's fault.
  public func lossAndAccuracy(_ images: ImageSet) throws -> (loss: Double, accuracy: Double) {
    let backend = network.backend
    let stats = backend.makeTensor([2])
    forEachBatch(images) { count, fill in network.evaluate(count: count, stats: stats, fill: fill) }
    let s = backend.download(stats)
    try backend.throwIfFaulted()
    return (Double(s[0]) / Double(images.count), Double(s[1]) / Double(images.count))
  }

  /// Class probabilities of every image, [count * classes]. Throws the backend's fault.
  /// `batchTime`, when given, gets each batch's time from gather to downloaded answers.
  public func probabilities(_ data: LabeledImages, batchTime: ((Duration) -> Void)? = nil) throws -> [Float] {
    var out: [Float] = []
    out.reserveCapacity(data.count * network.classes)
    let clock = ContinuousClock()
    forEachBatch(network.backend.makeImageSet(data)) { count, fill in
      let started = clock.now
      out += network.probabilities(count: count, fill: fill)
      batchTime?(clock.now - started)
    }
    try network.backend.throwIfFaulted()
    return out
  }

  /// Calls `body(count, fill)` per batch, in the set's order; `fill` gathers the batch into
  /// the network's workspace.
  func forEachBatch(_ images: ImageSet, _ body: (Int, SeedNetwork.Fill) -> Void) {
    let backend = network.backend
    var start = 0
    while start < images.count {
      let count = min(batchSize, images.count - start)
      let first = start
      body(count) { input, labels in backend.gather(images, start: first, pixels: input, labels: labels) }
      start += count
    }
  }
}
