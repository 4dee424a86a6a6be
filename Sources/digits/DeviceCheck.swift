import CPUBackend
import DigitsChecks
import DigitsCore
import OpenCLBackend

/// `digits devices --check`: the OpenCL agreement tests as a command, for a machine with a
/// GPU but no Swift toolchain (the `scripts/gpu-bundle` tarball). Every op, forward and
/// backward, against the Float64 reference and the CPU backend on odd shapes and the seed
/// network's own, then 20 Adam steps against the CPU backend on MNIST digits.
enum DeviceCheck {
  /// The odd shapes every backend is checked on, and the seed network's at batch 128.
  static let shapes = BackendCheckShape.odd + BackendCheckShape.network
  /// The training-step bound of CPUAgreementTests: every parameter within 1e-5 after 20
  /// steps (PoCL measured 3e-7), the summed loss within 1e-5 relative.
  static let stepBound: Float = 1e-5
  static let steps = 20
  static let batch = 16

  /// Checks `device`, printing a line per part; returns the failures (empty: it agrees).
  static func run(device: OpenCLDeviceInfo, digits: LabeledImages?) throws -> [String] {
    let backend = try OpenCLBackend(deviceIndex: device.index)
    print("device \(device.index): \(backend.name)")
    var failures: [String] = []
    for shape in shapes {
      let found =
        BackendChecks.compareWithReference(backend, shape: shape)
        + BackendChecks.compare(backend, CPUBackend(), shape: shape)
      try backend.throwIfFaulted()
      print("  every op vs the Float64 reference and the CPU backend, \(shape): \(found.isEmpty ? "ok" : "FAILED")")
      failures += found
    }
    guard let digits else {
      print("  training steps not checked: no MNIST found (pass --data DIR)")
      return failures
    }
    let (weights, losses) = try trainSteps(on: [backend, CPUBackend()], digits: digits)
    let worst = zip(weights[0], weights[1]).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? .nan
    let lossGap = abs(losses[0] - losses[1]) / losses[1]
    let agrees = worst <= stepBound && lossGap <= stepBound
    print(
      "  \(steps) Adam steps vs the CPU backend (batch \(batch), MNIST): largest weight difference "
        + "\(worst), loss sums \(losses[0]) and \(losses[1]) (bound \(stepBound)): \(agrees ? "ok" : "FAILED")")
    if !agrees { failures.append("\(steps) training steps: weights differ by \(worst), loss by \(lossGap) relative") }
    return failures
  }

  /// The seed network from seed 3 after `steps` steps of the first digits on each backend:
  /// its parameters and the summed loss.
  static func trainSteps(on backends: [any Backend], digits: LabeledImages) throws -> ([[[Float]]], [Float]) {
    let count = steps * batch
    var pixels = [Float](repeating: 0, count: count * MNISTShape.pixels)
    var labels = [Float](repeating: 0, count: count)
    pixels.withUnsafeMutableBufferPointer { p in
      labels.withUnsafeMutableBufferPointer { l in digits.fill(indices: Array(0..<count)[...], pixels: p, labels: l) }
    }
    var weights: [[[Float]]] = []
    var losses: [Float] = []
    for backend in backends {
      let network = SeedNetwork(backend: backend, seed: 3)
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
      weights.append(network.parameterValues())
      losses.append(backend.download(stats)[0])
      try backend.throwIfFaulted()
    }
    return (weights, losses)
  }
}
