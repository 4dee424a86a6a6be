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
}
