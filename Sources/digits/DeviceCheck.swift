import CPUBackend
import DigitsChecks
import DigitsCore
import OpenCLBackend

/// `digits devices --check`: the OpenCL agreement tests as a command, for a machine with a
/// GPU but no Swift toolchain (the `scripts/gpu-bundle` tarball). Every op, forward and
/// backward, against the Float64 reference and the CPU backend on odd shapes and the seed
/// network's own, then Adam steps against the CPU backend on MNIST digits: 20 small ones, and
/// two at the training batch of 128, whose GEMMs are planned as in real training.
enum DeviceCheck {
  /// The odd shapes every backend is checked on, and the seed network's at batch 128.
  static let shapes = BackendCheckShape.odd + BackendCheckShape.network
  /// The training-step bound of CPUAgreementTests: every parameter within 1e-5 after 20
  /// steps (PoCL measured 3e-7), the summed loss within 1e-5 relative.
  static let stepBound: Float = 1e-5
  /// (steps, batch) of each training check.
  static let trainingRuns = [(steps: 20, batch: 16), (steps: 2, batch: 128)]

  /// Checks `device`, printing a line per part; returns the failures (empty: it agrees).
  static func run(device: OpenCLDeviceInfo, digits: LabeledImages?) throws -> [String] {
    let backend = try OpenCLBackend(deviceIndex: device.index)
    print("device \(device.index): \(backend.name)")
    if let loops = backend.limits.loopIterations {
      print("  the driver ends a work-item's loops after \(loops) iterations: GEMM reductions are split within that")
    }
    var failures: [String] = []
    for shape in shapes {
      let found = BackendChecks.compareWithReference(backend, andWith: CPUBackend(), shape: shape)
      try backend.throwIfFaulted()
      print("  every op vs the Float64 reference and the CPU backend, \(shape): \(found.isEmpty ? "ok" : "FAILED")")
      failures += found
    }
    guard let digits else {
      print("  training steps not checked: no MNIST found (pass --data DIR)")
      return failures
    }
    for (steps, batch) in trainingRuns {
      failures += try trainingSteps(on: backend, digits: digits, steps: steps, batch: batch)
    }
    return failures
  }

  /// `steps` Adam steps of `batch` digits from seed 3 on `backend` and on the CPU backend:
  /// a failure when any weight or the summed loss differs by more than `stepBound`.
  static func trainingSteps(on backend: OpenCLBackend, digits: LabeledImages, steps: Int, batch: Int) throws
    -> [String]
  {
    let (pixels, labels) = digits.floats(0..<(steps * batch))
    let runs = try TrainingAgreement.run(
      on: [backend, CPUBackend()], pixels: pixels, labels: labels, steps: steps, batch: batch, seed: 3)
    let worst = zip(runs[0].weights, runs[1].weights).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? .nan
    let losses = runs.map { $0.stats[0] }
    let lossGap = abs(losses[0] - losses[1]) / losses[1]
    let agrees = worst <= stepBound && lossGap <= stepBound
    print(
      "  \(steps) Adam steps vs the CPU backend (batch \(batch), MNIST): largest weight difference "
        + "\(worst), loss sums \(losses[0]) and \(losses[1]) (bound \(stepBound)): \(agrees ? "ok" : "FAILED")")
    if agrees { return [] }
    return ["\(steps) training steps of \(batch): weights differ by \(worst), loss by \(lossGap) relative"]
  }
}
