import CPUBackend
import DigitsCore
import Foundation
import OpenCLBackend
import Testing
import _TestSupport

/// The trainer's own path on OpenCL (training set resident as bytes, batches gathered on the
/// device, ReLU backward folded, one Adam launch, no waits inside the steps) against the CPU
/// backend's host path, and the per-step bars.
@Suite(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
struct TrainerPathTests {
  /// One epoch (20 steps of 16 images; 8 of 4 on rusticl) on both backends from seed 3, as the
  /// trainer takes them: within `DerivedTolerance.trainingSteps` of each other (every
  /// parameter, the mean loss; the accuracy within one image). On OpenCL each step is at most
  /// 20 launches, no host-blocking call, and at most 4 KB uploaded (here: nothing; the
  /// shuffled order goes up once per epoch). With the device's own tiles, and planned as on an
  /// H200 (where fc1's forward GEMM splits and the split weight gradients share one reduce
  /// launch) where the device takes those tiles.
  @Test(arguments: OpenCLTestDevice.targets(tunings: [0, 3]))
  func epochOnTheDeviceMatchesTheCPU(target: OpenCLTestDevice.Target) throws {
    let epoch = try Self.epoch(fast: target.isFast)
    let steps = epoch.steps
    let runs = try TrainingAgreement.run(
      on: [try target.backend(), CPUBackend.make()], data: epoch.data, config: epoch.config)
    #expect(runs.allSatisfy { $0.steps == steps })
    let c = runs[0].stepCounters
    #expect(c.launches <= 20 * steps, "\(Double(c.launches) / Double(steps)) launches a step")
    #expect(c.hostWaits == 0, "\(c.hostWaits) host-blocking calls in \(steps) steps")
    #expect(c.bytesUploaded <= steps * 4096, "\(c.bytesUploaded) bytes uploaded in \(steps) steps")
    let found = TrainingAgreement.mismatches(runs[0], runs[1], images: epoch.data.count, label: "trainer epoch")
    #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
  }

  /// One epoch of MNIST training images, seed 3, a constant learning rate of 1e-3: the
  /// trainer runs the tests here compare. 20 steps of 16 images; 8 steps of 4 on a slow
  /// device (rusticl's llvmpipe takes about half a second a step even at batch 4, where
  /// every kernel and launch of a step is already there) and in debug builds.
  static func epoch(fast: Bool) throws -> (data: LabeledImages, config: TrainingConfig, steps: Int) {
    #if DEBUG
      let (steps, batch) = (8, 4)
    #else
      let (steps, batch) = fast ? (20, 16) : (8, 4)
    #endif
    let data = try TrainingAgreementTests.mnist.get().loadTraining().slice(0..<(steps * batch))
    return (data, TrainingAgreement.config(batch: batch, seed: 3), steps)
  }

  /// `TimedBackend` (the CPU's `--profile`) forwards every requirement: wrapped around OpenCL
  /// it keeps the fused and device paths, so the steps ask the device the same and end with
  /// the same weights, and the table names the fused ops.
  @Test(arguments: OpenCLTestDevice.indices)
  func timedBackendKeepsTheDevicePath(device: Int) throws {
    let epoch = try Self.epoch(fast: OpenCLTestDevice.isFast(device))
    let timed = TimedBackend(try OpenCLTestDevice.backend(device))
    let runs = try TrainingAgreement.run(
      on: [try OpenCLTestDevice.backend(device), timed], data: epoch.data, config: epoch.config)
    #expect(runs[1].stepCounters == runs[0].stepCounters)
    #expect(runs[1].weights == runs[0].weights)
    let names = Set(timed.opTimes().map(\.name))
    for name in ["gather", "setOrder", "denseBackwardInput+relu", "maxPool2Backward+relu", "adamUpdate (all)"] {
      #expect(names.contains(name), "\(names.sorted())")
    }
    #expect(!names.contains("reluBackward"), "\(names.sorted())")
  }

  /// Evaluation gathers from a resident copy: same loss and accuracy as the host path.
  @Test(arguments: OpenCLTestDevice.indices)
  func residentEvaluationMatchesHostUpload(device: Int) throws {
    let test = try TrainingAgreementTests.mnist.get().loadTest().slice(
      0..<(OpenCLTestDevice.isFast(device) ? 1000 : 100))
    let values = SeedNetwork(backend: CPUBackend.make(threads: 1), seed: 5).parameterValues()
    let opencl = try Evaluator(
      network: SeedNetwork(backend: try OpenCLTestDevice.backend(device), values: values), batchSize: 64
    )
    .lossAndAccuracy(test)
    let cpu = try Evaluator(network: SeedNetwork(backend: CPUBackend.make(), values: values), batchSize: 64)
      .lossAndAccuracy(
        test)
    #expect(abs(opencl.loss - cpu.loss) <= 1e-5 * cpu.loss, "\(opencl) vs \(cpu)")
    #expect(abs(opencl.accuracy - cpu.accuracy) * Double(test.count) <= 1, "\(opencl) vs \(cpu)")
  }
}
