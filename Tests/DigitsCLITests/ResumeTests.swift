import DigitsCore
import Foundation
import Testing
import _TestSupport

/// `train --resume` through the binary: it continues the recorded run, or refuses with one
/// `Error:` line and one line per difference, writing nothing.
@Suite struct ResumeTests {
  let dir = TemporaryDirectory()
  var data: String { dir.path + "/data" }
  var model: String { dir.path + "/m.safetensors" }
  var checkpoint: String { dir.path + "/m.checkpoint.safetensors" }

  init() throws { try SmallMNIST.write(to: dir.path + "/data") }

  func train(_ extra: [String], data: String? = nil) throws -> CLIRunner.Result {
    try CLIRunner.run(
      ["train", "--data", data ?? self.data, "--backend", "cpu", "--threads", "2", "--out", model] + extra)
  }

  /// The folder's files and their bytes, to show a refused resume wrote nothing.
  func snapshot() throws -> [String: Data] {
    var files: [String: Data] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name != "data" {
      files[name] = FileManager.default.contents(atPath: dir.path + "/" + name)
    }
    return files
  }

  func expectRefusal(_ r: CLIRunner.Result, lines expected: [String], sourceLocation: SourceLocation = #_sourceLocation)
  {
    #expect(r.status == 1, "\(r.stderr)", sourceLocation: sourceLocation)
    let lines = r.stderr.split(separator: "\n").map(String.init)
    #expect(
      lines.first?.hasPrefix("Error: \(checkpoint): --resume refused") == true, "\(r.stderr)",
      sourceLocation: sourceLocation)
    #expect(lines.filter { $0.hasPrefix("Error:") }.count == 1, sourceLocation: sourceLocation)
    #expect(Array(lines.dropFirst()) == expected, "\(r.stderr)", sourceLocation: sourceLocation)
  }

  @Test func everyDifferenceIsListedAndNothingIsWritten() throws {
    let first = try train([
      "--limit", "256", "--batch-size", "32", "--epochs", "2", "--validation", "none", "--seed", "5",
    ])
    #expect(first.status == 0, "\(first.stderr)")
    let before = try snapshot()
    #expect(before.keys.sorted() == ["m.checkpoint.safetensors", "m.safetensors"])

    let all = try train([
      "--resume", "--epochs", "1", "--seed", "7", "--batch-size", "64", "--learning-rate", "0.01",
      "--schedule", "constant", "--recipe", "best", "--limit", "300", "--validation", "test",
      "--dataset", "fashion",
    ])
    expectRefusal(
      all,
      lines: [
        "  --epochs: checkpoint 2, command line 1 (a run can be extended, not shortened)",
        "  --recipe: checkpoint seed, command line best",
        "  --seed: checkpoint 5, command line 7",
        "  --batch-size: checkpoint 32, command line 64",
        "  --learning-rate: checkpoint 0.003, command line 0.01",
        "  --schedule: checkpoint cosine, command line constant",
        "  --validation: checkpoint none, command line test",
        "  --limit: checkpoint 256, command line 300",
        "  --dataset: checkpoint mnist, command line fashion",
      ])
    #expect(try snapshot() == before)

    // The same values given again are no difference; left out, they are the checkpoint's.
    let same = try train([
      "--resume", "--epochs", "3", "--seed", "5", "--batch-size", "32", "--learning-rate", "0.003",
      "--schedule", "cosine", "--recipe", "seed", "--limit", "256", "--validation", "none",
    ])
    #expect(same.status == 0, "\(same.stderr)")
    #expect(same.stdout.contains("epoch 3/3") && !same.stdout.contains("epoch 2/3"), "\(same.stdout)")
    let facts = try #require(try ModelFile.read(path: model).facts)
    #expect(facts.epochs == 3 && facts.scheduleEpochs == 2 && facts.seed == 5 && facts.limit == 256)
    #expect(facts.resumes?.map(\.epoch) == [3])

    let done = try train(["--resume"])
    #expect(done.status == 1 && done.stderr.contains("already holds all 3 epochs"), "\(done.stderr)")
  }

  /// Other training bytes refuse the resume, wherever they are; the same bytes in another
  /// folder continue it.
  @Test func trainingDataIsFingerprinted() throws {
    #expect(try train(["--limit", "256", "--batch-size", "64", "--epochs", "1", "--validation", "none"]).status == 0)
    let before = try snapshot()
    let changed = dir.path + "/changed"
    try SmallMNIST.write(to: changed, changePixel: 255 * 784 + 400)
    let r = try train(["--resume", "--epochs", "2"], data: changed)
    #expect(r.status == 1)
    #expect(
      r.stderr.split(separator: "\n").dropFirst().map(String.init).map {
        $0.hasPrefix("  --data: checkpoint's training data has SHA-256")
      } == [true], "\(r.stderr)")
    #expect(try snapshot().filter { $0.key != "changed" } == before)
    // A change past --limit is not training data: the resume goes on.
    let beyond = dir.path + "/beyond"
    try SmallMNIST.write(to: beyond, changePixel: 256 * 784 + 400)
    let ok = try train(["--resume", "--epochs", "2"], data: beyond)
    #expect(ok.status == 0, "\(ok.stderr)")
  }

  /// 10 epochs, then extended to 15: epochs 1-10 keep the rates of a plain 10-epoch run,
  /// 11-15 run at the cosine's floor (1% of the base).
  @Test func extendingACosineRunKeepsItsHorizon() throws {
    let common = ["--limit", "64", "--batch-size", "32", "--validation", "none"]
    #expect(try train(common + ["--epochs", "10"]).status == 0)
    let ten = try ModelFile.read(path: model).history.map(\.learningRate)
    let r = try train(["--resume", "--epochs", "15"])
    #expect(r.status == 0, "\(r.stderr)")
    let fifteen = try ModelFile.read(path: model).history.map(\.learningRate)
    #expect(fifteen.count == 15 && Array(fifteen.prefix(10)) == ten)
    let floor = Double(TrainingConfig().learningRate(progress: 1))
    #expect(fifteen.suffix(5).allSatisfy { $0 == floor }, "\(fifteen)")
    #expect(ten.last! > floor)
  }

  @Test func checkpointWithoutARunRecordIsRefused() throws {
    #expect(try train(["--limit", "64", "--batch-size", "32", "--epochs", "1", "--validation", "none"]).status == 0)
    var old = try ModelFile.read(path: checkpoint)
    old.facts?.epochs = nil
    old.facts?.scheduleEpochs = nil
    old.facts?.dataSHA256 = nil
    try old.write(to: checkpoint)
    let r = try train(["--resume", "--epochs", "2"])
    #expect(r.status == 1 && r.stderr.contains("before digits recorded a run's settings"), "\(r.stderr)")
  }

  /// A crafted number in a checkpoint: one error line, exit 1, no trap.
  @Test func craftedCheckpointIsOneErrorLine() throws {
    #expect(try train(["--limit", "64", "--batch-size", "32", "--epochs", "1", "--validation", "none"]).status == 0)
    var file = try Safetensors.read(path: checkpoint)
    file.metadata["adam_step"] = String(Int.max)
    try Safetensors.write(file, to: checkpoint)
    let r = try train(["--resume", "--epochs", "2"])
    #expect(r.status == 1)
    #expect(
      r.stderr.split(separator: "\n").filter { !$0.isEmpty }.map { $0.hasPrefix("Error: \(checkpoint): adam_step") }
        == [true], "\(r.stderr)")
  }

  @Test func helpDocumentsResume() throws {
    let help = try CLIRunner.run(["train", "--help"])
    for fragment in ["--resume", "refuses the", "epochs past the horizon run at its", "final rate (1% of the base)"] {
      #expect(help.stdout.contains(fragment), "\(fragment)")
    }
  }
}

/// A checkpoint of another data set resumes without `--dataset`: left out, it is the
/// checkpoint's, as every other setting is (it used to default to mnist and be refused).
@Suite struct ResumeDatasetTests {
  @Test func leftOutDatasetIsTheCheckpoints() throws {
    let dir = TemporaryDirectory()
    try SmallMNIST.write(to: dir.path + "/data")
    let common = [
      "train", "--data", dir.path + "/data", "--backend", "cpu", "--threads", "2",
      "--out", dir.path + "/m.safetensors", "--limit", "64", "--batch-size", "32", "--validation", "none",
    ]
    let first = try CLIRunner.run(common + ["--dataset", "fashion", "--epochs", "1"])
    #expect(first.status == 0, "\(first.stderr)")
    let resumed = try CLIRunner.run(common + ["--resume", "--epochs", "2"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    let model = try ModelFile.read(path: dir.path + "/m.safetensors")
    #expect(model.dataset == .fashion)
    #expect(model.history.count == 2)
  }
}
