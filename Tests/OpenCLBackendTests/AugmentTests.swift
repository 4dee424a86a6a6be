import CPUBackend
import DigitsCore
import DigitsVision
import Foundation
import OpenCLBackend
import Testing
import _TestSupport

/// augment.cl against its host reference, `Augmentation.apply(_:count:batchSeed:)` with the
/// same settings and seeds (`--recipe best` with the training set on the device).
@Suite(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
struct AugmentTests {
  static let pixels = MNISTShape.pixels
  /// A generator whose first output, the batch seed the device draws, has both 32-bit halves'
  /// sign bits set, so a sign-extension slip changes every image's seed.
  static let generator: SeededGenerator = {
    for seed in UInt64(1)... {
      var probe = SeededGenerator(seed: seed)
      let first = probe.next()
      if first & (1 << 31) != 0 && first & (1 << 63) != 0 { return SeededGenerator(seed: seed) }
    }
    fatalError("unreachable")
  }()
  static var batchSeed: UInt64 {
    var probe = generator
    return probe.next()
  }

  /// `count` training images from `start` as the host feeds them (bytes / 255).
  static func host(_ data: LabeledImages, count: Int) -> [Float] {
    var pixels = [Float](repeating: 0, count: count * Self.pixels)
    var labels = [Float](repeating: 0, count: count)
    pixels.withUnsafeMutableBufferPointer { p in
      labels.withUnsafeMutableBufferPointer { l in data.fill(indices: Array(0..<count)[...], pixels: p, labels: l) }
    }
    return pixels
  }

  /// The device's augmented gather of images 0..<count of `data` with `augmentation`.
  static func device(_ backend: OpenCLBackend, _ data: LabeledImages, count: Int, _ augmentation: DeviceAugmentation)
    throws -> (pixels: [Float], labels: [Float])
  {
    let set = backend.makeImageSet(data)
    let pixels = backend.makeTensor([count, 1, MNISTShape.side, MNISTShape.side])
    let labels = backend.makeTensor([count])
    var rng = generator
    backend.gather(
      set, start: 0, pixels: pixels, labels: labels,
      augmentation: BatchAugmentation(device: augmentation) { _, _, _ in Issue.record("augmented on the host") },
      rng: &rng)
    let result = (backend.download(pixels), backend.download(labels))
    try backend.throwIfFaulted()
    return result
  }

  /// Per image: the largest |device - host|.
  static func differences(_ a: [Float], _ b: [Float], count: Int) -> [Float] {
    (0..<count).map { i in
      largestDifference(a[(i * Self.pixels)..<((i + 1) * Self.pixels)], b[(i * Self.pixels)..<((i + 1) * Self.pixels)])
    }
  }

  /// `--recipe best` as the device does it, on 256 training images (32 on rusticl).
  @Test(arguments: OpenCLTestDevice.indices)
  func deviceMatchesHostReference(device: Int) throws {
    try compare(device: device, Augmentation.bestOnDevice, count: OpenCLTestDevice.isFast(device) ? 256 : 32)
  }

  /// Every step on every image (all probabilities 1), so each runs on top of all the others.
  @Test(arguments: OpenCLTestDevice.indices)
  func everyStepOnEveryImageMatchesHostReference(device: Int) throws {
    try compare(device: device, BackendChecks.everyStep, count: OpenCLTestDevice.isFast(device) ? 128 : 16)
  }

  /// Groups of 24 work-items (784 pixels are no multiple of it), as on a device that allows few.
  @Test(arguments: OpenCLTestDevice.indices)
  func smallWorkGroupsMatchHostReference(device: Int) throws {
    var all = Augmentation.bestOnDevice
    all.thicknessProbability = 1
    all.relayoutProbability = 1
    all.blurProbability = 1
    all.noiseProbability = 1
    let backend = try OpenCLTestDevice.backend(device, limits: OpenCLLimits(maxWorkGroupSize: 24))
    try compare(backend, all, count: 16)
  }

  /// Largest |device - host| of an image, a quarter of one grey level (1/255). Derived: OpenCL
  /// allows sin/cos 4 ulp, exp/log/sqrt 3, division 2.5, so the inverse warp's coefficients
  /// carry ~16 ulp (1e-6 relative) and a sample position (|dx|, |dy| <= 16, coefficients <= 1.6)
  /// ~5e-5 px per axis; bilinear interpolation of [0,1] values moves at most the sum, 1e-4.
  /// Thickness, blur and area resampling average (no growth); blur's peak renormalisation
  /// scales by at most 1 / (centre weight)^2 < 5, and the Box-Muller noise adds < 1e-6. Measured
  /// on PoCL and rusticl: 1.7e-6.
  static let bound: Float = 1e-3

  /// Device and host agree per image within `bound`, but for an image whose relayout decision
  /// sits on an edge: a pixel within ~1e-5 of the ink threshold at the crop box's border, or a
  /// centre of mass within ~1e-5 of half a pixel, moves the whole digit by a pixel or changes
  /// its size. Such an image may differ by anything; at most 1 in 128 may (measured: none, also
  /// in 16,384 + 8,192 images on PoCL, the largest difference 3.3e-6). Labels are equal, and
  /// the augmentation did change the images (at least 80%; each step has its own probability,
  /// the warp alone 90%).
  func compare(device: Int, _ augmentation: Augmentation, count: Int) throws {
    try compare(try OpenCLTestDevice.backend(device), augmentation, count: count)
  }

  func compare(_ backend: OpenCLBackend, _ augmentation: Augmentation, count: Int) throws {
    let device = backend.device.index
    let data = try TrainingAgreementTests.mnist.get().loadTraining().slice(0..<count)
    let plain = Self.host(data, count: count)
    var expected = plain
    augmentation.apply(&expected, count: count, batchSeed: Self.batchSeed)
    let observed = try Self.device(backend, data, count: count, try #require(augmentation.device))
    #expect(observed.labels == data.labels.map(Float.init))
    let diffs = Self.differences(observed.pixels, expected, count: count)
    let beyond = diffs.indices.filter { !(diffs[$0] <= Self.bound) }  // NaN is beyond
    #expect(
      beyond.count <= count / 128,
      "\(beyond.count) of \(count) images beyond \(Self.bound): \(beyond.map { "\($0): \(diffs[$0])" })")
    let worst = diffs.indices.filter { !beyond.contains($0) }.max { diffs[$0] < diffs[$1] }
    let changed = Self.differences(observed.pixels, plain, count: count).filter { $0 > 0.01 }.count
    #expect(changed * 5 >= count * 4, "only \(changed) of \(count) images augmented")
    let rest = worst.map { diffs[$0] } ?? 0
    print("augment on device \(device), \(count) images: \(beyond.count) beyond the bound, the rest within \(rest)")
  }

  /// With every probability 0 no step runs: the augmenting gather is the plain gather, bit
  /// for bit, through a shuffled order from an offset.
  @Test(arguments: OpenCLTestDevice.indices)
  func noStepIsThePlainGather(device: Int) throws {
    let count = OpenCLTestDevice.isFast(device) ? 128 : 16
    let data = try TrainingAgreementTests.mnist.get().loadTraining().slice(0..<(3 * count))
    var none = try #require(Augmentation.bestOnDevice.device)
    none.affineProbability = 0
    none.thicknessProbability = 0
    none.relayoutProbability = 0
    none.blurProbability = 0
    none.noiseProbability = 0
    let backend = try OpenCLTestDevice.backend(device)
    let set = backend.makeImageSet(data)
    var shuffle = SeededGenerator(seed: 9)
    backend.setOrder(shuffle.permutation(data.count), of: set)
    var results: [[Float]] = []
    for augment in [false, true] {
      let pixels = backend.makeTensor([count, 1, MNISTShape.side, MNISTShape.side])
      let labels = backend.makeTensor([count])
      if augment {
        var rng = SeededGenerator(seed: 1)
        backend.gather(
          set, start: count, pixels: pixels, labels: labels,
          augmentation: BatchAugmentation(device: none) { _, _, _ in }, rng: &rng)
      } else {
        backend.gather(set, start: count, pixels: pixels, labels: labels)
      }
      results.append(backend.download(pixels) + backend.download(labels))
    }
    try backend.throwIfFaulted()
    #expect(results[0] == results[1])
  }

  /// A `--recipe best` epoch on OpenCL (`TrainerPathTests.epoch`: 20 steps of 16 images, 8 of
  /// 4 on rusticl): the training set stays on the device (no host-blocking call, nothing
  /// uploaded in a step, at most 20 launches), and it trains as the CPU does with the host
  /// reference of the device's augmentation (`Augmentation.deviceBatchFunction`): same loss,
  /// weights within 1e-4.
  @Test(arguments: OpenCLTestDevice.indices)
  func bestRecipeStepsStayOnTheDevice(device: Int) throws {
    let epoch = try TrainerPathTests.epoch(fast: OpenCLTestDevice.isFast(device))
    let (data, steps) = (epoch.data, epoch.steps)
    var config = epoch.config
    config.augment = Augmentation.best.batchFunction
    config.deviceAugmentation = Augmentation.bestOnDevice.device
    var cpuConfig = config
    cpuConfig.augment = Augmentation.bestOnDevice.deviceBatchFunction
    let opencl = Trainer(network: SeedNetwork(backend: try OpenCLTestDevice.backend(device), seed: 3), config: config)
    try opencl.run(train: data, validation: nil, observer: nil)
    #expect(opencl.stepsRun == steps)
    let c = opencl.stepCounters
    #expect(c.launches <= 20 * steps, "\(Double(c.launches) / Double(steps)) launches a step")
    #expect(c.hostWaits == 0, "\(c.hostWaits) host-blocking calls in \(steps) steps")
    #expect(c.bytesUploaded == 0, "\(c.bytesUploaded) bytes uploaded in \(steps) steps")
    let cpu = Trainer(network: SeedNetwork(backend: CPUBackend.make(), seed: 3), config: cpuConfig)
    try cpu.run(train: data, validation: nil, observer: nil)
    let (a, b) = (opencl.history[0], cpu.history[0])
    #expect(abs(a.loss - b.loss) <= 1e-4 * b.loss, "\(a.loss) vs \(b.loss)")
    TrainingAgreementTests.compare(
      opencl.network.parameterValues(), cpu.network.parameterValues(), atol: 1e-4, rtol: 0, what: "best recipe epoch")
  }
}
