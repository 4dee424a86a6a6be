import DigitsCore
import Foundation
import Testing
import _TestSupport

@Suite struct SafetensorsTests {
  let dir = TemporaryDirectory()

  func sampleModel() -> ModelFile {
    var rng = TestRandom(seed: 7)
    let params = SeedNetwork.parameterSpecs.map { rng.array($0.shape.reduce(1, *)) }
    let history = [
      EpochRecord(
        epoch: 1, loss: 0.2, accuracy: 0.94, valLoss: 0.06, valAccuracy: 0.98, seconds: 5,
        imagesPerSecond: 11000, learningRate: 0.001)
    ]
    let facts = TrainingFacts(
      seed: 1, backend: "cpu", batchSize: 128, validation: "test set", trainingImages: 60000,
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

  // MARK: - Bounded cost: every size and offset is checked before anything is allocated

  func decodeError(_ data: Data, limits: Safetensors.Limits = .general) -> String {
    let error = #expect(throws: DigitsError.self) {
      try Safetensors.decode(data, path: "f.safetensors", limits: limits)
    }
    return error?.description ?? ""
  }

  func entry(_ name: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
    #""\#(name)":{"dtype":"F32","shape":\#(shape),"data_offsets":[\#(begin),\#(end)]}"#
  }

  /// The issue's 100-byte file: the old `shape.reduce(1, *)` trapped on overflow.
  @Test func shapeProductOverflowIsAnError() throws {
    let file = HostileFiles.safetensors(
      header: "{" + entry("w", [4_294_967_296, 4_294_967_296, 2], 0, 16) + "}", body: 16)
    #expect(
      decodeError(file)
        == "f.safetensors: tensor w: shape [4294967296, 4294967296, 2] needs more bytes than the file's 16")
    let big = HostileFiles.safetensors(header: "{" + entry("w", [Int.max], 0, 16) + "}", body: 16)
    #expect(decodeError(big).contains("needs more bytes than the file's 16"))
    // Numbers past Int, fractions and exponents in sizes are errors, never traps.
    for odd in [#"[18446744073709551615]"#, #"[1e30]"#, #"[-1e30]"#, #"[2.5]"#, #"[-9223372036854775808]"#] {
      let json = #"{"w":{"dtype":"F32","shape":\#(odd),"data_offsets":[0,\#(odd.dropFirst().dropLast())]}}"#
      #expect(
        decodeError(HostileFiles.safetensors(header: json, body: 16)).hasPrefix("f.safetensors: tensor w"), "\(odd)")
    }
  }

  @Test func offsetsMustTileTheBody() throws {
    let a = entry("a", [2], 0, 8)
    #expect(
      decodeError(HostileFiles.safetensors(header: "{" + entry("a", [2], 8, 0) + "}", body: 8))
        .contains("data_offsets 8-0 do not hold"))
    #expect(
      decodeError(HostileFiles.safetensors(header: "{\(a)," + entry("b", [2], 4, 12) + "}", body: 12))
        == "f.safetensors: tensor b: data_offsets 4-12 overlap another tensor")
    #expect(
      decodeError(HostileFiles.safetensors(header: "{\(a)," + entry("b", [2], 12, 20) + "}", body: 20))
        == "f.safetensors: tensor b: data_offsets 12-20 leave bytes 8-12 unused")
    #expect(
      decodeError(HostileFiles.safetensors(header: "{\(a)}", body: 12))
        == "f.safetensors: has 4 bytes after the last tensor")
    #expect(
      decodeError(HostileFiles.safetensors(header: "{\(a)," + entry("b", [2], 8, 16) + "}", body: 12))
        == "f.safetensors: truncated: tensor b ends at byte 16 of 12")
    // Back to back in any order in the JSON, and zero-size tensors anywhere, are fine.
    let ok = HostileFiles.safetensors(
      header: "{" + entry("b", [1], 8, 12) + ",\(a)," + entry("z", [0], 8, 8) + "}", body: 12)
    #expect(try Safetensors.decode(ok, path: "ok").tensors.map(\.name) == ["a", "z", "b"])
  }

  /// JSONSerialization keeps one of two equal keys without a word; the reader must not.
  @Test func duplicateNamesAreAnError() throws {
    let a = entry("a", [1], 0, 4)
    #expect(
      decodeError(HostileFiles.safetensors(header: "{\(a),\(a)}", body: 4))
        == "f.safetensors: safetensors header names a tensor twice")
  }

  @Test func headerLimits() throws {
    var limits = Safetensors.Limits.general
    limits.headerBytes = 10
    #expect(
      decodeError(HostileFiles.safetensors(header: "{" + entry("a", [1], 0, 4) + "}", body: 4), limits: limits)
        .contains("is implausible; the limit is 10)"))
    limits = .general
    limits.entries = 2
    let three = ["a", "b", "c"].enumerated().map { entry($1, [1], 4 * $0, 4 * $0 + 4) }.joined(separator: ",")
    #expect(
      decodeError(HostileFiles.safetensors(header: "{\(three)}", body: 12), limits: limits)
        == "f.safetensors: safetensors header has 3 entries, more than the limit of 2")
    limits = .general
    limits.headerValues = 100
    let deep = #"{"__metadata__":{"x":"y"},"pad":["# + String(repeating: "0,", count: 200) + "0]}"
    #expect(
      decodeError(HostileFiles.safetensors(header: deep), limits: limits).contains(
        "JSON values, more than the limit of 100"))
    limits = .general
    limits.rank = 2
    #expect(
      decodeError(HostileFiles.safetensors(header: "{" + entry("a", [1, 1, 1], 0, 4) + "}", body: 4), limits: limits)
        == "f.safetensors: tensor a has 3 dimensions, more than 2")
  }

  /// The JSON parser recurses per level: deep nesting is refused before it runs.
  @Test func deepNestingIsRefused() throws {
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    #expect(
      decodeError(HostileFiles.safetensors(header: deep))
        == "f.safetensors: safetensors header is nested deeper than 16 levels")
  }

  /// Brackets, commas and colons inside strings are not counted as values or keys.
  @Test func valueCountSkipsStrings() throws {
    var limits = Safetensors.Limits.general
    limits.headerValues = 20
    let noisy = String(repeating: #"[{,:\""#, count: 100)
    let file = HostileFiles.safetensors(
      header: #"{"__metadata__":{"k":"\#(noisy)"},"# + entry("a:b", [1], 0, 4) + "}", body: 4)
    let decoded = try Safetensors.decode(file, path: "f", limits: limits)
    #expect(decoded.tensors.map(\.name) == ["a:b"] && decoded.metadata["k"]?.count == 500)
  }

  @Test func fileSizeIsCheckedBeforeReading() throws {
    let path = dir.path + "/big.safetensors"
    FileManager.default.createFile(atPath: path, contents: Data(count: (3 << 20) + 1))
    let error = #expect(throws: DigitsError.self) { try ModelFile.read(path: path) }
    #expect(error?.description == "\(path): is 3145729 bytes, more than the 3145728-byte limit for this kind of file")
    // A checkpoint, the largest digits file, fits with room to spare.
    var model = sampleModel()
    model.adam = (3, model.parameters, model.parameters)
    try model.write(to: path)
    let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    #expect(size + 300_000 < Safetensors.Limits.digitsModel.fileBytes, "checkpoint of \(size) bytes")
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
