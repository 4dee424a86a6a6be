/// Runs a network over a labelled set in batches, without training. On a `DeviceDataBackend`
/// the set goes to the device once as bytes and each batch is gathered there.
public struct Evaluator {
  public let network: SeedNetwork
  public var batchSize = 500

  public init(network: SeedNetwork, batchSize: Int = 500) {
    self.network = network
    self.batchSize = batchSize
  }

  /// Mean cross-entropy and accuracy, computed on the device. `resident` is `data` already on
  /// the device (the trainer keeps its validation set there). Throws the backend's fault.
  public func lossAndAccuracy(_ data: LabeledImages, resident: (any DeviceImages)? = nil) throws
    -> (loss: Double, accuracy: Double)
  {
    let backend = network.backend
    let stats = backend.makeTensor([2])
    forEachBatch(data, resident: resident) { count, fill in network.evaluate(count: count, stats: stats, fill: fill) }
    let s = backend.download(stats)
    try backend.throwIfFaulted()
    return (Double(s[0]) / Double(data.count), Double(s[1]) / Double(data.count))
  }

  /// Class probabilities of every image, [count * 10]. Throws the backend's fault.
  public func probabilities(_ data: LabeledImages) throws -> [Float] {
    var out: [Float] = []
    out.reserveCapacity(data.count * MNISTShape.classes)
    forEachBatch(data, resident: nil) { count, fill in out += network.probabilities(count: count, fill: fill) }
    try network.backend.throwIfFaulted()
    return out
  }

  typealias Fill = (_ input: Tensor, _ labels: Tensor) -> Void

  /// Calls `body(count, fill)` per batch; `fill` places the batch in the network's workspace.
  func forEachBatch(_ data: LabeledImages, resident: (any DeviceImages)?, _ body: (Int, Fill) -> Void) {
    let backend = network.backend
    if let device = backend as? DeviceDataBackend, data.count > 0 {
      let images = resident ?? device.makeDeviceImages(data)
      var start = 0
      while start < data.count {
        let count = min(batchSize, data.count - start)
        let first = start
        body(count) { input, labels in device.gather(images, order: nil, start: first, pixels: input, labels: labels) }
        start += count
      }
      return
    }
    var pixels = [Float](repeating: 0, count: batchSize * MNISTShape.pixels)
    var labels = [Float](repeating: 0, count: batchSize)
    var start = 0
    while start < data.count {
      let count = min(batchSize, data.count - start)
      pixels.withUnsafeMutableBufferPointer { p in
        labels.withUnsafeMutableBufferPointer { l in
          data.fill(
            indices: Array(start..<(start + count))[...],
            pixels: UnsafeMutableBufferPointer(rebasing: p[0..<(count * MNISTShape.pixels)]),
            labels: UnsafeMutableBufferPointer(rebasing: l[0..<count]))
        }
      }
      body(count) { input, labelTensor in
        pixels.withUnsafeBufferPointer {
          backend.upload(UnsafeBufferPointer(rebasing: $0[0..<(count * MNISTShape.pixels)]), to: input)
        }
        labels.withUnsafeBufferPointer { backend.upload(UnsafeBufferPointer(rebasing: $0[0..<count]), to: labelTensor) }
      }
      start += count
    }
  }
}
