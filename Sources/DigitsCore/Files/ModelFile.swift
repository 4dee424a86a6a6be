import Foundation

/// One epoch's metrics, as stored in the model file's history and printed by `train`.
public struct EpochRecord: Codable, Equatable, Sendable {
  public var epoch: Int
  public var loss: Double
  public var accuracy: Double
  public var valLoss: Double?
  public var valAccuracy: Double?
  public var seconds: Double
  public var imagesPerSecond: Double
  public var learningRate: Double

  enum CodingKeys: String, CodingKey {
    case epoch, loss, accuracy, seconds
    case valLoss = "val_loss", valAccuracy = "val_accuracy"
    case imagesPerSecond = "images_per_second", learningRate = "learning_rate"
  }

  public init(epoch: Int, loss: Double, accuracy: Double, valLoss: Double?, valAccuracy: Double?,
              seconds: Double, imagesPerSecond: Double, learningRate: Double) {
    self.epoch = epoch
    self.loss = loss
    self.accuracy = accuracy
    self.valLoss = valLoss
    self.valAccuracy = valAccuracy
    self.seconds = seconds
    self.imagesPerSecond = imagesPerSecond
    self.learningRate = learningRate
  }
}

/// Facts about how a model was trained, kept in the file for reports and reproducibility.
public struct TrainingFacts: Codable, Equatable, Sendable {
  public var seed: UInt64
  public var backend: String
  public var batchSize: Int
  public var validation: String
  public var trainingImages: Int
  public var recipe: String
  public var date: String
  public var version: String

  enum CodingKeys: String, CodingKey {
    case seed, backend, validation, recipe, date, version
    case batchSize = "batch_size", trainingImages = "training_images"
  }

  public init(seed: UInt64, backend: String, batchSize: Int, validation: String, trainingImages: Int,
              recipe: String, date: String, version: String = DigitsVersion.current) {
    self.seed = seed
    self.backend = backend
    self.batchSize = batchSize
    self.validation = validation
    self.trainingImages = trainingImages
    self.recipe = recipe
    self.date = date
    self.version = version
  }
}

public enum DigitsVersion {
  public static let current = "0.1.0"
}

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
  /// Adam state when this is a checkpoint.
  public var adam: (step: Int, m: [[Float]], v: [[Float]])?

  public init(parameters: [[Float]], dataset: DatasetKind, history: [EpochRecord] = [], facts: TrainingFacts? = nil,
              adam: (step: Int, m: [[Float]], v: [[Float]])? = nil) {
    self.parameters = parameters
    self.dataset = dataset
    self.classNames = dataset.classNames
    self.history = history
    self.facts = facts
    self.adam = adam
  }

  public static func == (a: ModelFile, b: ModelFile) -> Bool {
    a.parameters == b.parameters && a.dataset == b.dataset && a.classNames == b.classNames && a.history == b.history
      && a.facts == b.facts && a.adam?.step == b.adam?.step && a.adam?.m == b.adam?.m && a.adam?.v == b.adam?.v
  }

  // MARK: - Encoding

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
    if let adam {
      metadata["adam_step"] = String(adam.step)
      for (i, spec) in SeedNetwork.parameterSpecs.enumerated() {
        tensors.append(.init(name: "adam.m.\(spec.name)", shape: spec.shape, values: adam.m[i]))
        tensors.append(.init(name: "adam.v.\(spec.name)", shape: spec.shape, values: adam.v[i]))
      }
    }
    return Safetensors.File(tensors: tensors, metadata: metadata)
  }

  public func write(to path: String) throws { try Safetensors.write(try safetensors(), to: path) }

  public static func read(path: String) throws -> ModelFile {
    try ModelFile(Safetensors.read(path: path), path: path)
  }

  /// Checks every name, shape and metadata field; the error says how to get a good file.
  public init(_ file: Safetensors.File, path: String) throws {
    let remedy = "make one with `digits train`"
    guard file.metadata["format"] == Self.format else {
      throw DigitsError.file(path, "not a digits model (metadata \"format\" is \(file.metadata["format"].map { "\"\($0)\"" } ?? "missing")); \(remedy)")
    }
    guard file.metadata["format_version"] == Self.formatVersion else {
      throw DigitsError.file(path, "model format version \(file.metadata["format_version"] ?? "?") is not supported (this is \(Self.formatVersion)); \(remedy)")
    }
    guard file.metadata["architecture"] == Self.architecture else {
      throw DigitsError.file(path, "model has another architecture than the seed CNN; \(remedy)")
    }
    var byName: [String: Safetensors.NamedTensor] = [:]
    for t in file.tensors { byName[t.name] = t }
    func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
      guard let t = byName.removeValue(forKey: name) else { throw DigitsError.file(path, "missing tensor \(name)") }
      guard t.shape == shape else { throw DigitsError.file(path, "tensor \(name) has shape \(t.shape), expected \(shape)") }
      guard t.values.allSatisfy({ $0.isFinite }) else { throw DigitsError.file(path, "tensor \(name) holds NaN or infinite values") }
      return t.values
    }
    parameters = try SeedNetwork.parameterSpecs.map { try tensor($0.name, $0.shape) }
    if let stepText = file.metadata["adam_step"] {
      guard let step = Int(stepText), step >= 0 else { throw DigitsError.file(path, "adam_step \"\(stepText)\" is not a count") }
      let m = try SeedNetwork.parameterSpecs.map { try tensor("adam.m.\($0.name)", $0.shape) }
      let v = try SeedNetwork.parameterSpecs.map { try tensor("adam.v.\($0.name)", $0.shape) }
      adam = (step, m, v)
    } else {
      adam = nil
    }
    if let extra = byName.keys.sorted().first { throw DigitsError.file(path, "unexpected tensor \(extra)") }
    guard let kind = DatasetKind(rawValue: file.metadata["dataset"] ?? "mnist") else {
      throw DigitsError.file(path, "unknown dataset \"\(file.metadata["dataset"] ?? "")\"")
    }
    dataset = kind
    classNames = try Self.decode([String].self, file.metadata["classes"], "classes", path) ?? kind.classNames
    guard classNames.count == SeedNetwork.classCount else {
      throw DigitsError.file(path, "metadata classes has \(classNames.count) names, expected \(SeedNetwork.classCount)")
    }
    history = try Self.decode([EpochRecord].self, file.metadata["history"], "history", path) ?? []
    facts = try Self.decode(TrainingFacts.self, file.metadata["training"], "training", path)
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
