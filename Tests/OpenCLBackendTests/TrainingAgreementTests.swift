import CPUBackend
import DigitsCore
import Foundation
import OpenCLBackend
import Testing
import _TestSupport

/// Whole training steps of the seed network: OpenCL against the Float64 reference.
@Suite(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
struct TrainingAgreementTests {
  static let mnist = Result { try DatasetFolder.locate(option: TestData.mnistPath) }

  /// The first `count` training images as (pixels in [0,1], labels).
  static func batch(_ count: Int, from start: Int = 0) throws -> (pixels: [Float], labels: [Float]) {
    try mnist.get().loadTraining().floats(start..<(start + count))
  }

  /// Compares every parameter-shaped tensor of two networks: |o - e| <= atol * max|e| + rtol * |e|,
  /// with atol relative to the tensor's largest magnitude (gradients of different layers differ
  /// by orders of magnitude).
  static func compare(
    _ observed: [[Float]], _ expected: [[Float]], atol: Float, rtol: Float, what: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(observed.count == expected.count, sourceLocation: sourceLocation)
    for (i, spec) in SeedNetwork.parameterSpecs.enumerated() {
      let scale = expected[i].map(abs).max() ?? 0
      if let report = mismatchReport(
        observed[i], expected[i], atol: atol * max(scale, 1e-30), rtol: rtol,
        label: "\(what) \(spec.name)")
      {
        Issue.record(Comment(rawValue: report), sourceLocation: sourceLocation)
      }
    }
  }

  /// One forward + backward pass on 8 real digits: gradients and loss agree with Float64.
  /// Then one Adam step: parameters agree to 1e-6 absolute (the step moves them by ~1e-3).
  @Test(arguments: OpenCLTestDevice.indices)
  func oneTrainingStepMatchesReference(device: Int) throws {
    let (pixels, labels) = try Self.batch(8)
    let opencl = try OpenCLTestDevice.backend(device)
    let reference = ReferenceBackend()
    var grads: [[[Float]]] = []
    var stats: [[Float]] = []
    var after: [[[Float]]] = []
    for backend in [opencl, reference] as [any Backend] {
      let s = backend.makeTensor([2])
      let probe = SeedNetwork(backend: backend, seed: 11)
      grads.append(
        pixels.withUnsafeBufferPointer { p in
          labels.withUnsafeBufferPointer { l in probe.gradients(pixels: p, labels: l, stats: s) }
        })
      stats.append(backend.download(s))
      let network = SeedNetwork(backend: backend, seed: 11)
      pixels.withUnsafeBufferPointer { p in
        labels.withUnsafeBufferPointer { l in network.trainStep(pixels: p, labels: l, stats: s, learningRate: 1e-3) }
      }
      after.append(network.parameterValues())
    }
    Self.compare(grads[0], grads[1], atol: 1e-4, rtol: 1e-3, what: "gradient")
    #expect(abs(stats[0][0] - stats[1][0]) <= 1e-4 * stats[1][0], "loss \(stats[0][0]) vs \(stats[1][0])")
    #expect(stats[0][1] == stats[1][1], "correct \(stats[0][1]) vs \(stats[1][1])")
    for (i, spec) in SeedNetwork.parameterSpecs.enumerated() {
      if let report = mismatchReport(
        after[0][i], after[1][i], atol: 1e-6, rtol: 1e-5, label: "after one step \(spec.name)")
      {
        Issue.record(Comment(rawValue: report))
      }
    }
  }

  /// Networks of other class counts (labels folded into the classes): three Adam steps of
  /// 8 digits, gathered from the device-resident set (two-byte labels), agree with Float64.
  /// Rusticl's llvmpipe trains the smallest and largest count only (each count costs it about
  /// 5 s of CPU); `digits devices --check` runs every op of all four there.
  @Test(
    arguments: OpenCLTestDevice.indices.flatMap { device in
      (OpenCLTestDevice.isFast(device) ? [2, 26, 47, 62] : [2, 62]).map { (device, $0) }
    })
  func otherClassCountsMatchReference(device: Int, classes: Int) throws {
    let digits = try Self.mnist.get().loadTraining().slice(0..<24)
    let data = LabeledImages(
      images: digits.images, labels: digits.labels.map { $0 % LabeledImages.Label(classes) }, rows: 28, columns: 28)
    let results = try TrainingAgreement.run(
      on: [try OpenCLTestDevice.backend(device), ReferenceBackend()], data: data,
      config: TrainingAgreement.config(batch: 8, seed: 3), classes: classes)
    #expect(results[0].weights[7].count == classes)
    let found = TrainingAgreement.mismatches(results[0], results[1], images: data.count, label: "\(classes) classes")
    #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
  }
}

/// The seed network on both real backends.
@Suite(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
struct CPUAgreementTests {
  /// Weights trained on the CPU (one pass over 4,096 training digits, batch 64), loaded into
  /// both backends: the predicted classes of the first 2,000 MNIST test digits agree on at
  /// least 99.9% of them, and the probabilities to 1e-4. Debug builds use 512 and 1,000
  /// digits, rusticl 4,096 and 300 (its llvmpipe evaluates about 30 digits a second on CI's
  /// two cores). 2,000 is four of the backend's inference batches, the last one whole.
  @Test(arguments: OpenCLTestDevice.indices)
  func sameWeightsSamePredictions(device: Int) throws {
    #if DEBUG
      let (trainCount, testCount) = (512, 1000)
    #else
      let (trainCount, testCount) = (4096, OpenCLTestDevice.isFast(device) ? 2000 : 300)
    #endif
    let cpu = CPUBackend.make()
    let trained = SeedNetwork(backend: cpu, seed: 21)
    let (pixels, labels) = try TrainingAgreementTests.batch(trainCount)
    let s = cpu.makeTensor([2])
    for start in stride(from: 0, to: trainCount, by: 64) {
      pixels[(start * 784)..<((start + 64) * 784)].withUnsafeBufferPointer { p in
        labels[start..<(start + 64)].withUnsafeBufferPointer { l in
          trained.trainStep(pixels: p, labels: l, stats: s, learningRate: 1e-3)
        }
      }
    }
    let test = try TrainingAgreementTests.mnist.get().loadTest().slice(0..<testCount)
    let onCPU = try Evaluator(network: trained).probabilities(test)
    let onOpenCL = try Evaluator(
      network: SeedNetwork(backend: try OpenCLTestDevice.backend(device), values: trained.parameterValues())
    )
    .probabilities(test)
    func classes(_ p: [Float]) -> [Int] {
      (0..<testCount).map { r in (0..<10).max { p[r * 10 + $0] < p[r * 10 + $1] }! }
    }
    let (a, b) = (classes(onCPU), classes(onOpenCL))
    let agree = zip(a, b).filter { $0 == $1 }.count
    let accuracy = zip(a, test.labels).filter { $0 == Int($1) }.count
    #expect(Double(agree) >= 0.999 * Double(testCount), "classes agree on \(agree) of \(testCount)")
    #expect(
      Double(accuracy) >= 0.5 * Double(testCount),
      "the trained weights are too weak to mean much: \(accuracy) of \(testCount)")
    if let report = mismatchReport(onOpenCL, onCPU, atol: 1e-4, rtol: 0, label: "probabilities") {
      Issue.record(Comment(rawValue: report))
    }
  }
}
