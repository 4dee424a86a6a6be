/// Runs a network over a labelled set in batches, without training.
public struct Evaluator {
  public let network: SeedNetwork
  public var batchSize = 500

  public init(network: SeedNetwork, batchSize: Int = 500) {
    self.network = network
    self.batchSize = batchSize
  }

  /// Mean cross-entropy and accuracy, computed on the device. Throws the backend's fault.
  public func lossAndAccuracy(_ data: LabeledImages) throws -> (loss: Double, accuracy: Double) {
    let backend = network.backend
    let stats = backend.makeTensor([2])
    forEachBatch(data) { pixels, labels in network.evaluate(pixels: pixels, labels: labels, stats: stats) }
    let s = backend.download(stats)
    try backend.throwIfFaulted()
    return (Double(s[0]) / Double(data.count), Double(s[1]) / Double(data.count))
  }

  /// Class probabilities of every image, [count * 10]. Throws the backend's fault.
  public func probabilities(_ data: LabeledImages) throws -> [Float] {
    var out: [Float] = []
    out.reserveCapacity(data.count * MNISTShape.classes)
    forEachBatch(data) { pixels, _ in out += network.probabilities(pixels: pixels) }
    try network.backend.throwIfFaulted()
    return out
  }

  func forEachBatch(_ data: LabeledImages, _ body: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void) {
    var pixels = [Float](repeating: 0, count: batchSize * MNISTShape.pixels)
    var labels = [Float](repeating: 0, count: batchSize)
    var start = 0
    while start < data.count {
      let count = min(batchSize, data.count - start)
      pixels.withUnsafeMutableBufferPointer { p in
        labels.withUnsafeMutableBufferPointer { l in
          data.fill(indices: Array(start..<(start + count))[...],
                    pixels: UnsafeMutableBufferPointer(rebasing: p[0..<(count * MNISTShape.pixels)]),
                    labels: UnsafeMutableBufferPointer(rebasing: l[0..<count]))
          body(UnsafeBufferPointer(rebasing: p[0..<(count * MNISTShape.pixels)]), UnsafeBufferPointer(rebasing: l[0..<count]))
        }
      }
      start += count
    }
  }
}
