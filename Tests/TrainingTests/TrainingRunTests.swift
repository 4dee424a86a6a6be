import CPUBackend
import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// `digits train`'s library entry, called without a process: it trains what a `Trainer` given
/// the same plan trains, writes the model and checkpoint, and refuses a resume that differs.
@Suite(.serialized, .heavy) struct TrainingRunTests {
  let folder = TemporaryDirectory()

  @Test func trainsWhatTheTrainerTrainsAndRefusesADifferentResume() throws {
    let request = TrainPlan.Request(epochs: 1, limit: 512, validation: ValidationChoice.none)
    let out = folder.path + "/model.safetensors"
    let run = TrainingRun(request: request, out: out, dataPath: TestData.mnistPath)
    var notes: [String] = []
    let finished = try run.run(makeBackend: { CPUBackend.make(threads: 1) }, note: { notes.append($0) })
    #expect(finished.trainer.history.count == 1)
    #expect(notes.last == "wrote \(out) (checkpoint: \(run.checkpointPath))", "\(notes)")

    let plan = TrainPlan(fresh: request)
    let network = SeedNetwork(backend: CPUBackend.make(threads: 1), seed: plan.seed)
    try Trainer(network: network, config: plan.config).run(
      train: TestData.mnistTraining.slice(0..<512), validation: nil, observer: nil)
    let written = try ModelFile.read(path: out)
    #expect(written.parameters == network.parameterValues())
    #expect(try ModelFile.read(path: run.checkpointPath).adam != nil)

    var resume = run
    resume.resume = true
    resume.request.seed = 7
    resume.request.epochs = 2
    #expect {
      _ = try resume.run(makeBackend: { CPUBackend.make(threads: 1) })
    } throws: { error in
      "\(error)".contains("--resume refused") && "\(error)".contains("--seed: checkpoint 42, command line 7")
    }
  }

  /// A set of other classes and no test split, as a loader hands it over: the model gets
  /// the set's classes (the last layer 26 x 128), names, layout and name; a seeded tenth of
  /// each class is held out to test on, and the report lists the most confused pairs.
  @Test func trainsTheClassesOfTheSetGiven() throws {
    let digits = TestData.mnistTraining.slice(0..<600)
    let labels = digits.labels.enumerated().map { i, label in label + (i % 2 == 0 ? 0 : 10) }
    let letters = (0..<26).map { String(UnicodeScalar(UInt8(65 + $0))) }
    let set = ClassifiedDataset(
      training: LabeledImages(images: digits.images, labels: labels, rows: 28, columns: 28), test: nil,
      classNames: letters, name: "letters")
    var run = TrainingRun(request: TrainPlan.Request(epochs: 1), out: folder.path + "/letters.safetensors")
    run.source = TrainingRun.Source(dataset: set, location: "test letters", layout: .resize)
    var notes: [String] = []
    let finished = try run.run(makeBackend: { CPUBackend.make(threads: 1) }, note: { notes.append($0) })
    let model = try ModelFile.read(path: run.out)
    #expect(model.classNames == letters && model.datasetName == "letters" && model.layout == .resize)
    #expect(model.parameters[6].count == 26 * 128 && model.parameters[7].count == 26)
    #expect(model.calibration != nil)
    let held = ClassifiedDataset.holdOut(set.training, fraction: TrainingRun.heldOutTestFraction, seed: 42).heldOut
    #expect(
      notes.contains("letters has no test split: holding out \(held.count) images (seeded) to test on"), "\(notes)")
    let rest = 600 - held.count, trained = rest - Int((Double(rest) * 0.1).rounded())
    #expect(notes.contains { $0.hasPrefix("training on \(trained) images of 26 classes") }, "\(notes)")
    let report = folder.path + "/letters.html"
    try finished.writeReport(to: report)
    let html = try String(contentsOfFile: report, encoding: .utf8)
    #expect(html.contains("id=\"most-confused\"") && html.contains("letters"))
  }
}
