import CPUBackend
import DigitsChecks
import DigitsCore
import DigitsVision
import OpenCLBackend

/// `digits devices --check`: the OpenCL agreement tests as a command, for a machine with a
/// GPU but no Swift toolchain (the `scripts/gpu-bundle` tarball). Every requirement of
/// `Backend` (plain, fused and data ops) against the Float64 reference and the CPU backend on
/// odd shapes and the seed network's own, then training steps as `train` takes them on the
/// device (same tuning and tiles, batch 128, gathered batches, fused backward and Adam, split-K
/// reduces, validation) against the CPU backend on MNIST digits, and the same steps with
/// `--recipe best`'s augmentation done on the device, all under `DerivedTolerance`.
enum DeviceCheck {
  /// The odd shapes every backend is checked on, and the seed network's at batch 128.
  static let shapes = BackendCheckShape.odd + BackendCheckShape.classCounts + BackendCheckShape.network
  /// Training steps of `train`'s batch, and the validation images evaluated after them (one
  /// batch of 200, not a multiple of the tiles). Two steps run every kernel of a step and
  /// Adam's second, bias-corrected update; more add no kernel or shape, and on rusticl's
  /// llvmpipe each batch-128 step costs 11 s of CI's 2 cores (4 steps and 500 validated took
  /// 156 s there). The bound is the 20-step one measured at batch 16; at batch 128 PoCL's
  /// largest weight difference reached it after 10 steps (1.3e-5).
  static let steps = 2
  static let validationImages = 200
  static var batch: Int { TrainingConfig().batchSize }
  /// MNIST digits the training check needs.
  static var digitsNeeded: Int { steps * batch + validationImages }

  /// Checks `device`, printing a line per part; returns the failures (empty: it agrees).
  static func run(device: OpenCLDeviceInfo, digits: LabeledImages) throws -> [String] {
    precondition(digits.count >= digitsNeeded)
    let backend = try OpenCLBackend(deviceIndex: device.index)
    print("device \(device.index): \(backend.name)")
    if let loops = backend.limits.loopIterations {
      print("  the driver ends a work-item's loops after \(loops) iterations: GEMM reductions are split within that")
    }
    var failures: [String] = []
    for shape in shapes {
      let found = BackendChecks.compareWithReference(backend, andWith: CPUBackend.make(), shape: shape)
      try backend.throwIfFaulted()
      print("  every op vs the Float64 reference and the CPU backend, \(shape): \(found.isEmpty ? "ok" : "FAILED")")
      failures += found
    }
    let train = digits.slice(0..<(steps * batch))
    let validation = digits.slice(train.count..<(train.count + validationImages))
    let runs = try TrainingAgreement.run(
      on: [backend, CPUBackend.make()], data: train, validation: validation,
      config: TrainingAgreement.config(batch: batch, seed: 3))
    let found = TrainingAgreement.mismatches(runs[0], runs[1], images: train.count, label: "training steps")
    let (a, b) = (runs[0].record, runs[1].record)
    print(
      "  \(steps) training steps as train takes them (batch \(batch), MNIST, then \(validationImages) validated) vs the "
        + "CPU backend: largest weight difference \(largestDifference(runs)), mean losses \(a.loss) and \(b.loss), "
        + "validation losses \(a.valLoss ?? .nan) and \(b.valLoss ?? .nan) (bound \(DerivedTolerance.trainingSteps)): "
        + (found.isEmpty ? "ok" : "FAILED"))
    // `--recipe best` as train runs it on a device: each batch augmented there (augment_images);
    // the CPU applies the host reference of the same augmentation with the same seeds.
    var best = TrainingAgreement.config(batch: batch, seed: 3)
    best.augment = Augmentation.bestOnDevice.deviceBatchFunction
    best.deviceAugmentation = Augmentation.bestOnDevice.device
    let augmented = try TrainingAgreement.run(on: [backend, CPUBackend.make()], data: train, config: best)
    let foundBest = TrainingAgreement.mismatches(
      augmented[0], augmented[1], images: train.count, label: "--recipe best steps")
    print(
      "  \(steps) --recipe best steps (each batch augmented on the device) vs the CPU with the host reference of the "
        + "augmentation: largest weight difference \(largestDifference(augmented)), mean losses "
        + "\(augmented[0].record.loss) and \(augmented[1].record.loss) (bound \(DerivedTolerance.trainingSteps)): "
        + (foundBest.isEmpty ? "ok" : "FAILED"))
    return failures + found + foundBest
  }

  /// The largest difference between two runs' weights; NaN when either holds one.
  static func largestDifference(_ runs: [TrainingAgreement.Result]) -> Float {
    let differences = zip(runs[0].weights, runs[1].weights).flatMap { zip($0, $1).map { abs($0 - $1) } }
    return differences.contains(where: \.isNaN) ? Float.nan : differences.max() ?? 0
  }
}
