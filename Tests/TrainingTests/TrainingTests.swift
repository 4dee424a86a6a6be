import CPUBackend
import DigitsCore
import Foundation
import Testing
import _TestSupport

/// End-to-end training on real MNIST slices with the CPU backend.
@Suite(.serialized, .heavy) struct TrainingTests {
  static let training = TestData.mnistTraining
  static let test = TestData.mnistTest

  func trainer(
    seed: UInt64 = 5, epochs: Int, threads: Int = 2, history: [EpochRecord] = [], from model: ModelFile? = nil
  ) -> Trainer {
    let backend = CPUBackend.make(threads: threads)
    var config = TrainingConfig()
    config.epochs = epochs
    config.seed = seed
    let network =
      model.map { SeedNetwork(backend: backend, values: $0.parameters, adam: $0.adam) }
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
    let report = ClassificationReport(
      labels: held.labels, probabilities: try Evaluator(network: t.network).probabilities(held),
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

/// The schedule of an extended run: the cosine keeps the first plan's horizon.
@Suite struct ScheduleHorizonTests {
  /// Every step of epochs 1-10 has the same rate in a 10-epoch plan and in that plan
  /// extended to 15; epochs 11-15 run at the cosine's floor (1% of the base).
  @Test func extendedCosineKeepsPastRatesAndRunsAtTheFloor() {
    var ten = TrainingConfig()
    ten.epochs = 10
    var fifteen = ten
    fifteen.epochs = 15
    fifteen.scheduleEpochs = 10
    let batches = 7
    let steps = (0..<15).flatMap { epoch in (0..<batches).map { (epoch, $0) } }
    let changed = steps.prefix(10 * batches).filter {
      ten.learningRate(epoch: $0.0, batch: $0.1, batches: batches)
        != fifteen.learningRate(epoch: $0.0, batch: $0.1, batches: batches)
    }
    #expect(
      changed.isEmpty,
      "\(changed.count) steps of epochs 1-10 changed rate, first: epoch \(changed.first.map { $0.0 + 1 } ?? 0)")
    let floor = ten.learningRate * 0.01
    let offFloor = steps.suffix(5 * batches).map { fifteen.learningRate(epoch: $0.0, batch: $0.1, batches: batches) }
      .filter { abs($0 - floor) > floor * 1e-6 }
    #expect(offFloor.isEmpty, "epochs 11-15 off the floor \(floor): \(offFloor.prefix(3))")
    #expect(ten.learningRate(epoch: 9, batch: batches - 1, batches: batches) > floor)
    var constant = fifteen
    constant.schedule = .constant
    #expect(
      (0..<15).allSatisfy { constant.learningRate(epoch: $0, batch: 3, batches: batches) == constant.learningRate })
  }

  /// Through the trainer: a 3-epoch run extended to 5 records the same first three rates
  /// as a straight 3-epoch run, then two at the floor, and reaches the weights of a straight
  /// run planned as "3-epoch horizon, 5 epochs".
  @Test func extendedRunMatchesAStraightRunWithTheSameHorizon() throws {
    let data = TrainingTests.training.slice(0..<64)
    func config(epochs: Int, horizon: Int?) -> TrainingConfig {
      var c = TrainingConfig()
      c.epochs = epochs
      c.scheduleEpochs = horizon
      c.batchSize = 32
      c.seed = 3
      return c
    }
    let three = Trainer(
      network: SeedNetwork(backend: CPUBackend.make(threads: 2), seed: 3), config: config(epochs: 3, horizon: nil))
    try three.run(train: data, validation: nil, observer: nil)
    let extended = Trainer(network: three.network, config: config(epochs: 5, horizon: 3), history: three.history)
    try extended.run(train: data, validation: nil, observer: nil)
    let straight = Trainer(
      network: SeedNetwork(backend: CPUBackend.make(threads: 2), seed: 3), config: config(epochs: 5, horizon: 3))
    try straight.run(train: data, validation: nil, observer: nil)
    #expect(extended.history.count == 5)
    #expect(Array(extended.history.prefix(3)) == three.history)
    #expect(extended.history.map(\.learningRate) == straight.history.map(\.learningRate))
    let floor = Double(TrainingConfig().learningRate(progress: 1))
    #expect(
      extended.history.suffix(2).allSatisfy { $0.learningRate == floor }, "\(extended.history.map(\.learningRate))")
    #expect(extended.network.parameterValues().elementsEqual(straight.network.parameterValues()))
  }
}
