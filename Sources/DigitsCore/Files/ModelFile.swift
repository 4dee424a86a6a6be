import Foundation

/// A trained model as stored on disk: weights plus what is needed to use and describe them.
/// Checkpoints add the Adam state (`adam.m.*`, `adam.v.*` tensors and `adam_step`).
public struct ModelFile: Equatable, Sendable {
  public static let format = "digits-model"
  public static let formatVersion = "1"
  /// The layer list in the metadata; a file whose list differs is another network.
  public static let architecture =
    #"[{"type":"conv2d","filters":32,"kernel":3,"activation":"relu"},{"type":"maxpool2d","size":2},"#
    + #"{"type":"conv2d","filters":64,"kernel":3,"activation":"relu"},{"type":"maxpool2d","size":2},"#
    + #"{"type":"flatten","order":"NCHW"},{"type":"dense","units":128,"activation":"relu"},"#
    + #"{"type":"dense","units":10,"activation":"softmax"}]"#
  public static let input = #"{"shape":[1,28,28],"layout":"NCHW","scale":"pixel/255","polarity":"white ink on black"}"#

  public var parameters: [[Float]]
  public var dataset: DatasetKind
  public var classNames: [String]
  public var history: [EpochRecord]
  public var facts: TrainingFacts?
  /// Temperature and unsure threshold fitted after training; nil in files made before
  /// calibration existed (`effectiveCalibration` then gives temperature 1, no threshold).
  public var calibration: Calibration?
  /// Adam state when this is a checkpoint.
  public var adam: (step: Int, m: [[Float]], v: [[Float]])?

  public init(
    parameters: [[Float]], dataset: DatasetKind, history: [EpochRecord] = [], facts: TrainingFacts? = nil,
    adam: (step: Int, m: [[Float]], v: [[Float]])? = nil, calibration: Calibration? = nil
  ) {
    self.parameters = parameters
    self.calibration = calibration
    self.dataset = dataset
    self.classNames = dataset.classNames
    self.history = history
    self.facts = facts
    self.adam = adam
  }

  public static func == (a: ModelFile, b: ModelFile) -> Bool {
    a.parameters == b.parameters && a.dataset == b.dataset && a.classNames == b.classNames && a.history == b.history
      && a.facts == b.facts && a.calibration == b.calibration && a.adam?.step == b.adam?.step && a.adam?.m == b.adam?.m
      && a.adam?.v == b.adam?.v
  }

  // MARK: - Encoding

  /// Metadata key of the tensors' checksum: SHA-256 (hex) of every tensor's bytes in file
  /// order, which for files written here is the whole data section (`tail -c` + sha256sum
  /// checks it by hand). Checked on load when present; files from other tools (and the
  /// built-in model) have none and are read unchecked.
  public static let checksumKey = "tensors_sha256"

  public func safetensors() throws -> Safetensors.File {
    var tensors = zip(SeedNetwork.parameterSpecs, parameters).map {
      Safetensors.NamedTensor(name: $0.name, shape: $0.shape, values: $1)
    }
    var metadata: [String: String] = [
      "format": Self.format, "format_version": Self.formatVersion, "architecture": Self.architecture,
      "input": Self.input, "dataset": dataset.rawValue, "classes": try jsonString(classNames),
      "history": try jsonString(history),
    ]
    if let facts { metadata["training"] = try jsonString(facts) }
    if let calibration { metadata[Self.calibrationKey] = try jsonString(calibration) }
    if let adam {
      metadata["adam_step"] = String(adam.step)
      for (i, spec) in SeedNetwork.parameterSpecs.enumerated() {
        tensors.append(.init(name: "adam.m.\(spec.name)", shape: spec.shape, values: adam.m[i]))
        tensors.append(.init(name: "adam.v.\(spec.name)", shape: spec.shape, values: adam.v[i]))
      }
    }
    metadata[Self.checksumKey] = Self.checksum(tensors.map(\.values))
    return Safetensors.File(tensors: tensors, metadata: metadata)
  }

  /// `mode`: the file's permissions (less the umask).
  public func write(to path: String, mode: mode_t = 0o644) throws {
    try Safetensors.write(try safetensors(), to: path, mode: mode)
  }

  public static func read(path: String) throws -> ModelFile {
    try ModelFile(Safetensors.read(path: path, limits: .digitsModel), path: path)
  }

  /// SHA-256 of the tensors' little-endian Float32 bytes, one after another.
  static func checksum(_ tensors: [[Float]]) -> String {
    var hash = SHA256()
    for values in tensors {
      if Int(1).littleEndian == 1 {
        values.withUnsafeBytes { hash.update(bytes: $0) }
      } else {
        values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { hash.update(bytes: $0) }
      }
    }
    return hash.finalize().map { String(format: "%02x", $0) }.joined()
  }

  /// Checks every name, shape, number and metadata field before anything uses them; the
  /// error says how to get a good file.
  public init(_ file: Safetensors.File, path: String) throws {
    let remedy = "make one with `digits train`"
    guard file.metadata["format"] == Self.format else {
      throw DigitsError.file(
        path,
        "not a digits model (metadata \"format\" is \(file.metadata["format"].map { "\"\($0)\"" } ?? "missing")); \(remedy)"
      )
    }
    guard file.metadata["format_version"] == Self.formatVersion else {
      throw DigitsError.file(
        path,
        "model format version \(file.metadata["format_version"] ?? "?") is not supported (this is \(Self.formatVersion)); \(remedy)"
      )
    }
    guard file.metadata["architecture"] == Self.architecture else {
      throw DigitsError.file(path, "model has another architecture than the seed CNN; \(remedy)")
    }
    var byName: [String: Safetensors.NamedTensor] = [:]
    for t in file.tensors { byName[t.name] = t }
    func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
      guard let t = byName.removeValue(forKey: name) else { throw DigitsError.file(path, "missing tensor \(name)") }
      guard t.shape == shape else {
        throw DigitsError.file(path, "tensor \(name) has shape \(t.shape), expected \(shape)")
      }
      return t.values
    }
    let specs = SeedNetwork.parameterSpecs
    let parameters = try specs.map { try tensor($0.name, $0.shape) }
    var adam: (step: Int, m: [[Float]], v: [[Float]])?
    if let stepText = file.metadata["adam_step"] {
      guard let step = Int(stepText), (0...TrainingLimits.adamSteps).contains(step) else {
        throw DigitsError.file(
          path, "adam_step \"\(stepText.prefix(40))\" is not a count in 0...\(TrainingLimits.adamSteps)")
      }
      var m: [[Float]] = [], v: [[Float]] = []
      for spec in specs {
        m.append(try tensor("adam.m.\(spec.name)", spec.shape))
        v.append(try tensor("adam.v.\(spec.name)", spec.shape))
      }
      adam = (step, m, v)
    }
    if let extra = byName.keys.sorted().first { throw DigitsError.file(path, "unexpected tensor \(extra)") }
    for t in file.tensors where !t.values.allSatisfy({ $0.isFinite }) {
      throw DigitsError.file(path, "tensor \(t.name) holds NaN or infinite values")
    }
    let inFileOrder = parameters + (adam.map { zip($0.m, $0.v).flatMap { [$0, $1] } } ?? [])
    if let expected = file.metadata[Self.checksumKey], Self.checksum(inFileOrder) != expected {
      throw DigitsError.file(path, "tensor data does not match its checksum (damaged file)")
    }
    self.parameters = parameters
    self.adam = adam
    guard let kind = DatasetKind(rawValue: file.metadata["dataset"] ?? "mnist") else {
      throw DigitsError.file(path, "unknown dataset \"\((file.metadata["dataset"] ?? "").prefix(40))\"")
    }
    dataset = kind
    classNames = try Self.decode([String].self, file.metadata["classes"], "classes", path) ?? kind.classNames
    guard classNames.count == MNISTShape.classes else {
      throw DigitsError.file(path, "metadata classes has \(classNames.count) names, expected \(MNISTShape.classes)")
    }
    history = try Self.decode([EpochRecord].self, file.metadata["history"], "history", path) ?? []
    facts = try Self.decode(TrainingFacts.self, file.metadata["training"], "training", path)
    calibration = try Self.decode(Calibration.self, file.metadata[Self.calibrationKey], Self.calibrationKey, path)
    try checkNumbers(path: path)
  }

  public static let calibrationKey = "calibration"

  /// The calibration to use: the file's, or `Calibration.uncalibrated` for older files.
  public var effectiveCalibration: Calibration { calibration ?? .uncalibrated }

  /// History, facts and Adam step held to `TrainingLimits` and to each other.
  func checkNumbers(path: String) throws {
    if let problem = facts?.problem() { throw DigitsError.file(path, problem) }
    if let c = calibration, !(Calibration.temperatureRange.contains(c.temperature) && (0...1).contains(c.threshold)) {
      throw DigitsError.file(
        path, "metadata \"calibration\" holds temperature \(c.temperature) or threshold \(c.threshold) out of range")
    }
    guard history.count <= (facts?.epochs ?? TrainingLimits.epochs) else {
      throw DigitsError.file(
        path,
        "history holds \(history.count) epochs, more than the \(facts?.epochs ?? TrainingLimits.epochs) the run planned"
      )
    }
    if let problem = history.indices.lazy.compactMap({ self.history[$0].problem(at: $0) }).first {
      throw DigitsError.file(path, problem)
    }
    // Adam takes one step a batch: a checkpoint cannot have taken more steps than its
    // history's epochs hold batches.
    if let adam, let facts {
      let steps = history.count * ((facts.trainingImages + facts.batchSize - 1) / facts.batchSize)
      guard adam.step <= steps else {
        throw DigitsError.file(
          path,
          "adam_step \(adam.step) is more than the \(steps) steps of \(history.count) epochs of \(facts.trainingImages) images in batches of \(facts.batchSize)"
        )
      }
    }
  }

  static func decode<T: Decodable>(_ type: T.Type, _ text: String?, _ key: String, _ path: String) throws -> T? {
    guard let text else { return nil }
    do {
      return try JSONDecoder().decode(T.self, from: Data(text.utf8))
    } catch {
      throw DigitsError.file(path, "metadata \"\(key)\" is not valid")
    }
  }
}

func jsonString<T: Encodable>(_ value: T) throws -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys]
  return String(decoding: try encoder.encode(value), as: UTF8.self)
}
