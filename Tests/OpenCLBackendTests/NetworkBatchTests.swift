import CPUBackend
import DigitsCore
import OpenCLBackend
import Testing
import _TestSupport

/// The seed network's own shapes at the training batch of 128, on every device: the batch
/// every user trains with, whose GEMM plans (slices, narrow tiles) no small shape reaches.
/// Every op forward and backward against the Float64 reference and the CPU backend, and two
/// training steps against the CPU backend; on each fast device with its own tiles and also
/// with rusticl's tiles and loop limit (its exact plans, run fast).
@Suite(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
struct NetworkBatchTests {
  /// A device, planning as it would itself or as rusticl on llvmpipe would.
  struct Target: Sendable, CustomTestStringConvertible {
    let device: Int
    let asRusticl: Bool
    var testDescription: String {
      let name = (try? OpenCLTestDevice.info(device)).map { "\(OpenCLTestDevice.driver(of: $0))" } ?? "none"
      return "device \(device) (\(name))\(asRusticl ? " with rusticl's tiles and loop limit" : "")"
    }
    func backend() throws -> OpenCLBackend {
      asRusticl
        ? try OpenCLTestDevice.backend(device, tuning: .rusticl, limits: .llvmpipe)
        : try OpenCLTestDevice.backend(device)
    }
  }

  /// A slow device (rusticl, 3 to 4 minutes for these two tests) is left out here: CI runs
  /// `digits devices --check` on every device as a stage of its own, the same ops at these
  /// shapes and training steps of 128 as `train` takes them, and running them twice would
  /// take CI past its time on the slowest machine. Its exact plans still run here, on PoCL.
  static let targets: [Target] = OpenCLTestDevice.indices.filter { OpenCLTestDevice.isFast($0) }.flatMap { device in
    [Target(device: device, asRusticl: false)]
      + (OpenCLTestDevice.fits(.rusticl, on: device) ? [Target(device: device, asRusticl: true)] : [])
  }

  @Test(arguments: targets, BackendCheckShape.network)
  func everyOpAgrees(target: Target, shape: BackendCheckShape) throws {
    let backend = try target.backend()
    let failures = BackendChecks.compareWithReference(backend, andWith: CPUBackend.make(), shape: shape)
    try backend.throwIfFaulted()
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
  }

  /// Two training steps of 128 MNIST digits from seed 3, taken as `train` takes them (the
  /// device's own plan, gathered batches, fused backward and Adam): every parameter and the
  /// mean loss within `DerivedTolerance.trainingSteps` of the CPU's.
  @Test(arguments: targets)
  func twoStepsMatchTheCPU(target: Target) throws {
    let data = try TrainingAgreementTests.mnist.get().loadTraining().slice(0..<(2 * 128))
    let runs = try TrainingAgreement.run(
      on: [try target.backend(), CPUBackend.make()], data: data, config: TrainingAgreement.config(batch: 128, seed: 3))
    #expect(runs.allSatisfy { $0.steps == 2 })
    let found = TrainingAgreement.mismatches(runs[0], runs[1], images: data.count, label: "2 steps of 128")
    #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
  }

  /// fc1's forward GEMM at batch 128 (I = 1600) with 32x64 tiles of 8x8 outputs, the tiles
  /// whose k-tiles run the most loop iterations (llvmpipe ended them after 45 to 48 k-tiles,
  /// near the estimate `longestReduction` halves): against the Float64 reference on every
  /// device that takes them, with its own loop limit, and with llvmpipe's.
  @Test(arguments: OpenCLTestDevice.indices)
  func denseForwardWithTheLoopHeaviestTiles(device: Int) throws {
    let tiles = OpenCLTuning(
      tileM: 32, tileN: 64, tileK: 16, workPerItemM: 8, workPerItemN: 8, lossWorkGroup: 32, fillWorkGroups: 8)
    try #require(OpenCLTestDevice.fits(tiles, on: device), "device \(device) does not take \(tiles)")
    let (n, i, o) = (128, 1600, 128)
    var rng = TestRandom(seed: 31)
    let values = [rng.array(n * i), rng.array(o * i), rng.array(o), [Float](repeating: 7, count: n * o)]
    for limits in [nil, OpenCLLimits.llvmpipe] {
      let backend = try OpenCLTestDevice.backend(device, tuning: tiles, limits: limits)
      OpCase(
        label: "denseForward \(tiles), \(backend.limits)", shapes: [[n, i], [o, i], [o], [n, o]], values: values,
        outputs: [.init(index: 3, name: "y", tolerance: DerivedTolerance.gemm(depth: i))]
      ) { be, t in be.denseForward(input: t[0], weight: t[1], bias: t[2], output: t[3], relu: false) }
      .check(on: backend)
      try backend.throwIfFaulted()
    }
  }

  /// A kernel that cannot be split within the loop limit is a fault naming it, not a
  /// partial sum: an input gradient over a million outputs, a loss over 70,000 rows.
  @Test(arguments: OpenCLTestDevice.indices)
  func pastTheLoopLimitIsAFault(device: Int) throws {
    let deep = try OpenCLTestDevice.backend(device, limits: .llvmpipe)
    let dy = deep.makeTensor([1, 1_000_000]), w = deep.makeTensor([1_000_000, 1]), dx = deep.makeTensor([1, 1])
    deep.denseBackwardInput(outputGrad: dy, weight: w, inputGrad: dx)
    #expect(throws: DigitsError.self) { try deep.throwIfFaulted() }
    #expect("\(deep.fault.map(String.init(describing:)) ?? "")".contains("dense_backward_input"))
    let long = try OpenCLTestDevice.backend(device, limits: .llvmpipe)
    let logits = long.makeTensor([70_000, 10]), labels = long.makeTensor([70_000]), stats = long.makeTensor([2])
    long.crossEntropyStats(logits: logits, labels: labels, stats: stats)
    #expect("\(long.fault.map(String.init(describing:)) ?? "")".contains("softmax_cross_entropy"))
  }

  /// The loop limit each driver has: llvmpipe's 65535 under rusticl, none on PoCL.
  @Test(arguments: OpenCLTestDevice.indices)
  func loopLimitIsMeasured(device: Int) throws {
    let backend = try OpenCLTestDevice.backend(device)
    switch OpenCLTestDevice.driver(of: backend.device) {
    case .rusticl: #expect(backend.limits.loopIterations == 65535, "\(backend.limits)")
    case .pocl: #expect(backend.limits.loopIterations == nil, "\(backend.limits)")
    case .other: break
    }
  }

  /// rusticl's own choice is the tuning its plans are run with on the other drivers.
  @Test(arguments: OpenCLTestDevice.indices.filter { !OpenCLTestDevice.isFast($0) })
  func rusticlTuningIsTheOneRunElsewhere(device: Int) throws {
    let backend = try OpenCLTestDevice.backend(device)
    #expect(backend.tuning == .rusticl, "\(backend.tuning)")
  }
}
