import CPUBackend
import DigitsCore
import Foundation
import Testing
import _TestSupport

/// End-to-end training on real MNIST slices with the CPU backend.
@Suite(.serialized) struct TrainingTests {
  static let mnist = try! DatasetFolder.locate(option: TestData.mnistPath)
  static let training = try! mnist.loadTraining()
  static let test = try! mnist.loadTest()

  func trainer(seed: UInt64 = 5, epochs: Int, threads: Int = 2, history: [EpochRecord] = [], from model: ModelFile? = nil) -> Trainer {
    let backend = CPUBackend(threads: threads)
    var config = TrainingConfig()
    config.epochs = epochs
    config.seed = seed
    let network = model.map { SeedNetwork(backend: backend, values: $0.parameters, adam: $0.adam) }
      ?? SeedNetwork(backend: backend, seed: seed)
    return Trainer(network: network, config: config, history: history)
  }

  /// 12,800 images, 2 epochs: the default recipe must already pass 96% on 2,000 test digits.
  @Test func shortRunPassesAccuracyBar() throws {
    let t = trainer(epochs: 2)
    let held = Self.test.slice(0..<2000)
    try t.run(train: Self.training.slice(0..<12_800), validation: held, observer: nil)
    #expect(t.history.count == 2)
    let last = try #require(t.history.last)
    #expect(last.valAccuracy! >= 0.96, "validation accuracy \(last.valAccuracy!)")
    #expect(last.loss < t.history[0].loss, "loss did not fall: \(t.history.map(\.loss))")
    // The evaluator's two paths agree: device stats vs. downloaded probabilities.
    let report = ClassificationReport(labels: held.labels, probabilities: Evaluator(network: t.network).probabilities(held),
                                      classNames: DatasetKind.mnist.classNames)
    #expect(abs(report.accuracy - last.valAccuracy!) < 1e-9)
    #expect(abs(report.loss - last.valLoss!) < 1e-3)
  }

  @Test func sameSeedSameThreadsIsBitIdentical() throws {
    let data = Self.training.slice(0..<1024)
    let a = trainer(seed: 9, epochs: 1), b = trainer(seed: 9, epochs: 1)
    try a.run(train: data, validation: nil, observer: nil)
    try b.run(train: data, validation: nil, observer: nil)
    #expect(a.network.parameterValues().elementsEqual(b.network.parameterValues()))
    let c = trainer(seed: 10, epochs: 1)
    try c.run(train: data, validation: nil, observer: nil)
    #expect(!a.network.parameterValues().elementsEqual(c.network.parameterValues()))
  }

  struct Interrupted: Error {}

  /// A run killed after its first checkpoint and resumed from it ends with the same weights
  /// as an uninterrupted run (same schedule, same shuffles, same Adam state).
  @Test func resumeContinuesExactly() throws {
    let data = Self.training.slice(0..<512)
    let straight = trainer(epochs: 2)
    try straight.run(train: data, validation: nil, observer: nil)

    let dir = TemporaryDirectory()
    let path = dir.path + "/ckpt.safetensors"
    let first = trainer(epochs: 2)
    #expect(throws: Interrupted.self) {
      try first.run(train: data, validation: nil, observer: nil) { history in
        var file = ModelFile(parameters: first.network.parameterValues(), dataset: .mnist, history: history)
        file.adam = first.network.adamState()
        try file.write(to: path)
        throw Interrupted()
      }
    }
    let saved = try ModelFile.read(path: path)
    #expect(saved.history.count == 1)
    let resumed = trainer(epochs: 2, history: saved.history, from: saved)
    try resumed.run(train: data, validation: nil, observer: nil)
    #expect(resumed.history.count == 2)
    #expect(resumed.network.parameterValues().elementsEqual(straight.network.parameterValues()))
  }
}
