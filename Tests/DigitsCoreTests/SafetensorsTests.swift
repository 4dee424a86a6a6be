import DigitsCore
import Foundation
import Testing
import _TestSupport

@Suite struct SafetensorsTests {
  let dir = TemporaryDirectory()

  func sampleModel() -> ModelFile {
    var rng = TestRandom(seed: 7)
    let params = SeedNetwork.parameterSpecs.map { rng.array($0.shape.reduce(1, *)) }
    let history = [EpochRecord(epoch: 1, loss: 0.2, accuracy: 0.94, valLoss: 0.06, valAccuracy: 0.98, seconds: 5,
                               imagesPerSecond: 11000, learningRate: 0.001)]
    let facts = TrainingFacts(seed: 1, backend: "cpu", batchSize: 128, validation: "test set", trainingImages: 60000,
                              recipe: "seed", date: "2026-11-25T00:00:00Z")
    return ModelFile(parameters: params, dataset: .mnist, history: history, facts: facts)
  }

  @Test func modelRoundTrip() throws {
    var model = sampleModel()
    let path = dir.path + "/m.safetensors"
    try model.write(to: path)
    #expect(try ModelFile.read(path: path) == model)
    model.adam = (3, model.parameters, model.parameters.map { $0.map { $0 * $0 } })
    try model.write(to: path)
    #expect(try ModelFile.read(path: path) == model)
    #expect(SeedNetwork.parameterCount == 225_034)
  }

  /// The layout other readers expect: u64 header length, 8-byte aligned data, F32 entries.
  @Test func headerIsStandard() throws {
    let data = try Safetensors.encode(try sampleModel().safetensors())
    let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    #expect((8 + n) % 8 == 0)
    let header = try JSONSerialization.jsonObject(with: data[8..<(8 + n)]) as! [String: Any]
    let conv1 = header["conv1.weight"] as! [String: Any]
    #expect(conv1["dtype"] as? String == "F32")
    #expect(conv1["shape"] as? [Int] == [32, 1, 3, 3])
    #expect((header["__metadata__"] as! [String: String])["format"] == "digits-model")
    #expect(data.count == 8 + n + 225_034 * 4)
  }

  func expectError(_ data: Data, _ fragment: String) {
    let path = dir.path + "/bad.safetensors"
    FileManager.default.createFile(atPath: path, contents: data)
    let error = #expect(throws: DigitsError.self) { try ModelFile.read(path: path) }
    #expect(error?.description.hasPrefix(path) == true)
    #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "") lacks \(fragment)")
  }

  func header(_ json: String) -> Data {
    var d = Data()
    var n = UInt64(json.utf8.count).littleEndian
    withUnsafeBytes(of: &n) { d.append(contentsOf: $0) }
    return d + Data(json.utf8)
  }

  @Test func malformedFiles() throws {
    let good = try Safetensors.encode(try sampleModel().safetensors())
    expectError(Data([1, 2]), "too short")
    expectError(good.prefix(good.count - 100), "truncated")
    expectError(good.prefix(20), "truncated safetensors header")
    expectError(Data([255, 255, 255, 255, 255, 255, 255, 255]), "implausible")
    expectError(header("{not json"), "not valid JSON")
    expectError(header(#"{"__metadata__":{"format":"other"}}"#), "not a digits model")
  }

  @Test func wrongShapeMissingAndExtraTensors() throws {
    var file = try sampleModel().safetensors()
    let path = dir.path + "/x.safetensors"
    func check(_ f: Safetensors.File, _ fragment: String) throws {
      try Safetensors.write(f, to: path)
      let error = #expect(throws: DigitsError.self) { try ModelFile.read(path: path) }
      #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "")")
    }
    var wrong = file
    wrong.tensors[2] = .init(name: "conv2.weight", shape: [32, 64, 3, 3], values: wrong.tensors[2].values)
    try check(wrong, "conv2.weight has shape [32, 64, 3, 3], expected [64, 32, 3, 3]")
    var missing = file
    missing.tensors.removeLast()
    try check(missing, "missing tensor fc2.bias")
    file.tensors.append(.init(name: "fc3.weight", shape: [1], values: [0]))
    try check(file, "unexpected tensor fc3.weight")
    var arch = try sampleModel().safetensors()
    arch.metadata["architecture"] = "[]"
    try check(arch, "another architecture")
    var nan = try sampleModel().safetensors()
    nan.tensors[1].values[0] = .nan
    try check(nan, "NaN")
  }

  /// A write of `path` that fails half-way (the body throws after half the bytes, as a full
  /// disk would) leaves the old file byte for byte, and no temporary.
  @Test func failedWriteLeavesNothingHalfWritten() throws {
    let path = dir.path + "/keep.safetensors"
    try sampleModel().write(to: path)
    let before = try #require(FileManager.default.contents(atPath: path))
    struct DiskFull: Error {}
    var replacement = sampleModel()
    replacement.parameters[0][0] += 1
    let bytes = try Safetensors.encode(try replacement.safetensors())
    #expect(throws: DiskFull.self) {
      try AtomicFile.write(to: path) { file in
        try file.append(bytes.prefix(bytes.count / 2))
        throw DiskFull()
      }
    }
    #expect(FileManager.default.contents(atPath: path) == before)
    #expect(try ModelFile.read(path: path) == sampleModel())
    // A folder where the file should go: the rename fails, the folder is left as it was.
    let blocked = dir.path + "/blocked.safetensors"
    try FileManager.default.createDirectory(atPath: blocked + "/x", withIntermediateDirectories: true)
    #expect(throws: DigitsError.self) { try sampleModel().write(to: blocked) }
    #expect(try FileManager.default.contentsOfDirectory(atPath: blocked) == ["x"])
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
    #expect(leftovers.isEmpty, "\(leftovers)")
  }
}
