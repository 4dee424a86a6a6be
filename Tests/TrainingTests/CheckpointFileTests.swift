import DigitsCore
import Foundation
import Testing
import _TestSupport

/// Checkpoints and models read back only when every byte and number is what a run wrote:
/// a damaged tensor block or a crafted number gives one error line, never weights or a trap.
@Suite struct CheckpointFileTests {
  let dir = TemporaryDirectory()

  /// A checkpoint as `train` writes it after 2 epochs of 256 images in batches of 32.
  func checkpoint() -> ModelFile {
    var rng = TestRandom(seed: 3)
    let values = SeedNetwork.parameterSpecs.map { rng.array($0.shape.reduce(1, *)) }
    let history = (1...2).map {
      EpochRecord(
        epoch: $0, loss: 0.5, accuracy: 0.8, valLoss: nil, valAccuracy: nil, seconds: 1, imagesPerSecond: 256,
        learningRate: 0.003)
    }
    var facts = TrainingFacts(
      seed: 1, backend: "cpu", batchSize: 32, validation: "none", trainingImages: 256,
      recipe: "seed", date: "2026-11-30T00:00:00Z")
    facts.epochs = 3
    facts.schedule = .cosine
    facts.scheduleEpochs = 3
    facts.learningRate = 0.003
    facts.dataSHA256 = String(repeating: "ab", count: 32)
    return ModelFile(
      parameters: values, dataset: .mnist, history: history, facts: facts,
      adam: (16, values.map { $0.map { $0 / 10 } }, values.map { $0.map { $0 * $0 } }))
  }

  /// The longest run `train` accepts still writes a checkpoint the reader accepts: its history,
  /// with the widest numbers JSON writes, fits under the model-file limit.
  @Test func longestRunFitsUnderTheFileLimit() throws {
    var longest = checkpoint()
    let epochs = TrainingLimits.epochs
    longest.history = (1...epochs).map {
      EpochRecord(
        epoch: $0, loss: 0.123456789012345678, accuracy: 0.987654321098765432, valLoss: 0.123456789012345678,
        valAccuracy: 0.987654321098765432, seconds: 12345.6789012345678, imagesPerSecond: 12345.6789012345678,
        learningRate: 0.00123456789012345678)
    }
    longest.facts?.epochs = epochs
    longest.facts?.scheduleEpochs = epochs
    longest.facts?.resumes = (1...epochs).map {
      .init(epoch: $0, backend: String(repeating: "b", count: 80), date: "2026-11-30T00:00:00Z")
    }
    longest.adam?.step = epochs * 8
    let path = dir.path + "/longest.safetensors"
    try longest.write(to: path)
    let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    #expect(size <= Safetensors.Limits.digitsModel.fileBytes, "\(size) bytes")
    #expect(try ModelFile.read(path: path).history.count == epochs)
  }

  func readError(_ data: Data) -> String {
    let path = dir.path + "/c.safetensors"
    #expect(FileManager.default.createFile(atPath: path, contents: data))
    let error = #expect(throws: DigitsError.self) { try ModelFile.read(path: path) }
    let text = error?.description ?? ""
    #expect(!text.contains("\n") && text.hasPrefix(path + ": "), "\(text)")
    return text
  }

  func encoded(_ file: Safetensors.File) throws -> Data { try Safetensors.encode(file) }

  @Test func roundTripKeepsTheRunRecordAndChecksum() throws {
    let model = checkpoint()
    let path = dir.path + "/ok.safetensors"
    try model.write(to: path)
    let back = try ModelFile.read(path: path)
    #expect(back == model)
    #expect(back.facts?.recordsRun == true && back.facts?.scheduleEpochs == 3 && back.facts?.learningRate == 0.003)
    #expect(try Safetensors.read(path: path).metadata[ModelFile.checksumKey]?.count == 64)
  }

  /// A zeroed 4 KiB block in the tensor data: the checksum catches it. Without a checksum
  /// (files from other tools) the same bytes load.
  @Test func zeroedBlockIsDamageNotWeights() throws {
    var data = try encoded(try checkpoint().safetensors())
    let block = data.count / 2 - (data.count / 2) % 4096
    data.replaceSubrange(block..<(block + 4096), with: Data(count: 4096))
    #expect(readError(data).hasSuffix("tensor data does not match its checksum (damaged file)"))

    var unchecked = try checkpoint().safetensors()
    unchecked.metadata[ModelFile.checksumKey] = nil
    var plain = try encoded(unchecked)
    let start = plain.count - (data.count - block)
    plain.replaceSubrange(start..<(start + 4096), with: Data(count: 4096))
    let path = dir.path + "/unchecked.safetensors"
    #expect(FileManager.default.createFile(atPath: path, contents: plain))
    #expect(throws: Never.self) { try ModelFile.read(path: path) }
  }

  @Test func adamStepIsHeldToItsLimitAndHistory() throws {
    for (step, fragment) in [
      ("-1", "not a count"), ("99999999999999999999999", "not a count"),
      (String(TrainingLimits.adamSteps + 1), "not a count"), ("17", "more than the 16 steps"), ("x", "not a count"),
    ] {
      var file = try checkpoint().safetensors()
      file.metadata["adam_step"] = step
      #expect(readError(try encoded(file)).contains(fragment), "adam_step \(step)")
    }
  }

  @Test func historyAndFactsAreHeldToLimits() throws {
    func withMetadata(_ key: String, _ edit: (inout [String: Any]) -> Void) throws -> Data {
      var file = try checkpoint().safetensors()
      var object = try JSONSerialization.jsonObject(with: Data(file.metadata[key]!.utf8)) as! [String: Any]
      edit(&object)
      file.metadata[key] = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
      return try encoded(file)
    }
    #expect(readError(try withMetadata("training") { $0["batch_size"] = 0 }).contains("batch_size 0"))
    #expect(readError(try withMetadata("training") { $0["batch_size"] = 1 << 40 }).contains("batch_size"))
    #expect(readError(try withMetadata("training") { $0["epochs"] = 0 }).contains("epochs 0"))
    #expect(
      readError(
        try withMetadata("training") {
          $0["epochs"] = 1
          $0["schedule_epochs"] = 1
        }
      ).contains("more than the 1 the run planned"))
    #expect(readError(try withMetadata("training") { $0["schedule_epochs"] = 9 }).contains("schedule_epochs 9"))
    #expect(readError(try withMetadata("training") { $0["training_images"] = -5 }).contains("training_images"))
    #expect(readError(try withMetadata("training") { $0["limit"] = 0 }).contains("limit 0"))
    #expect(readError(try withMetadata("training") { $0["learning_rate"] = -1 }).contains("learning_rate"))
    #expect(readError(try withMetadata("training") { $0["data_sha256"] = "zz" }).contains("data_sha256"))
    #expect(readError(try withMetadata("training") { $0["schedule"] = "linear" }).contains("\"training\" is not valid"))

    func withHistory(_ edit: (inout [[String: Any]]) -> Void) throws -> Data {
      var file = try checkpoint().safetensors()
      var list = try JSONSerialization.jsonObject(with: Data(file.metadata["history"]!.utf8)) as! [[String: Any]]
      edit(&list)
      file.metadata["history"] = String(decoding: try JSONSerialization.data(withJSONObject: list), as: UTF8.self)
      return try encoded(file)
    }
    #expect(readError(try withHistory { $0[1]["epoch"] = 7 }).contains("says epoch 7"))
    #expect(readError(try withHistory { $0[0]["accuracy"] = 2.5 }).contains("out of range"))
    #expect(readError(try withHistory { $0[0]["loss"] = -1 }).contains("out of range"))
    #expect(readError(try withHistory { $0[0]["epoch"] = 1e30 }).contains("\"history\" is not valid"))
  }
}
