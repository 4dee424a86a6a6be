import DigitsCore
import Foundation
import Testing
import _TestSupport

/// The main job through the binary: train a small model, then evaluate it as JSON.
@Suite(.heavy) struct CLITrainEvaluateTests {
  let dir = TemporaryDirectory()

  @Test func trainThenEvaluateJSON() throws {
    let model = dir.path + "/small.safetensors"
    let train = try CLIRunner.run([
      "train", "--data", TestData.mnistPath, "--backend", "cpu", "--limit", "2560",
      "--epochs", "1", "--out", model,
    ])
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stdout.contains("epoch 1/1") && train.stdout.contains("val_accuracy"), "\(train.stdout)")
    let file = try ModelFile.read(path: model)
    #expect(file.history.count == 1 && file.adam == nil)
    #expect(file.facts?.recordsRun == true && file.facts?.limit == 2560 && file.facts?.epochs == 1)
    #expect(FileManager.default.fileExists(atPath: dir.path + "/small.checkpoint.safetensors"))

    let eval = try CLIRunner.run([
      "evaluate", "--model", model, "--data", TestData.mnistPath, "--backend", "cpu", "--json",
    ])
    #expect(eval.status == 0, "\(eval.stderr)")
    let object = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as! [String: Any]
    let accuracy = try #require(object["accuracy"] as? Double)
    #expect(accuracy > 0.8, "accuracy \(accuracy) after one epoch on 2,304 images")
    let confusion = try #require(object["confusion"] as? [[Int]])
    #expect(confusion.count == 10 && confusion.allSatisfy { $0.count == 10 })
    #expect(confusion.flatMap { $0 }.reduce(0, +) == 10_000)
    #expect((object["per_class"] as? [[String: Any]])?.count == 10)
    #expect(object["loss"] is Double)

    let resumed = try CLIRunner.run([
      "train", "--data", TestData.mnistPath, "--backend", "cpu", "--limit", "2560",
      "--epochs", "2", "--out", model, "--resume",
    ])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(resumed.stdout.contains("epoch 2/2") && !resumed.stdout.contains("epoch 1/2"))
    #expect(resumed.stderr.contains("resuming at epoch 2 of 2"), "\(resumed.stderr)")
    #expect(try ModelFile.read(path: model).history.count == 2)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
    #expect(leftovers.isEmpty, "\(leftovers)")
  }
}
