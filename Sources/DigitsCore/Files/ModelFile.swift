import Foundation

/// A trained model as stored on disk: weights plus what is needed to use and describe them.
/// Checkpoints add the Adam state (`adam.m.*`, `adam.v.*` tensors and `adam_step`).
public struct ModelFile: Equatable, Sendable {
  public static let format = "digits-model"
  public static let formatVersion = "1"
  /// The layer list in the metadata of a network of `classes` outputs; a file whose list
  /// differs is another network.
  public static func architecture(classes: Int) -> String {
    #"[{"type":"conv2d","filters":32,"kernel":3,"activation":"relu"},{"type":"maxpool2d","size":2},"#
      + #"{"type":"conv2d","filters":64,"kernel":3,"activation":"relu"},{"type":"maxpool2d","size":2},"#
      + #"{"type":"flatten","order":"NCHW"},{"type":"dense","units":128,"activation":"relu"},"#
      + #"{"type":"dense","units":\#(classes),"activation":"softmax"}]"#
  }
  /// The digits network's layer list.
  public static let architecture = architecture(classes: MNISTShape.classes)
  public static let input = #"{"shape":[1,28,28],"layout":"NCHW","scale":"pixel/255","polarity":"white ink on black"}"#

  /// How a picture becomes the network's 28x28 input: the model must be given pictures the
  /// way its training images were made.
  public enum Layout: String, Codable, Sendable, CaseIterable {
    /// Ink found, scaled into 20x20 and centred by mass in 28x28, as MNIST's digits are.
    case mnist
    /// The whole picture resized to 28x28 gray (photos of objects).
    case resize
  }

  public var parameters: [[Float]]
  /// The data set's name ("mnist", "fashion", "emnist-letters", a folder's name).
  public var datasetName: String
  /// The built-in data set of that name, if it is one.
  public var dataset: DatasetKind? { DatasetKind(rawValue: datasetName) }
  /// Class index to name; its count is the network's output count.
  public var classNames: [String]
  public var layout: Layout
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
    self.init(
      parameters: parameters, datasetName: dataset.rawValue, classNames: dataset.classNames, history: history,
      facts: facts, adam: adam, calibration: calibration)
  }

  /// A model of `classNames.count` classes; `parameters` must be `SeedNetwork.parameterSpecs(classes:)`-shaped.
  public init(
    parameters: [[Float]], datasetName: String, classNames: [String], layout: Layout = .mnist,
    history: [EpochRecord] = [], facts: TrainingFacts? = nil, adam: (step: Int, m: [[Float]], v: [[Float]])? = nil,
    calibration: Calibration? = nil
  ) {
    self.parameters = parameters
    self.calibration = calibration
    self.datasetName = datasetName
    self.classNames = classNames
    self.layout = layout
    self.history = history
    self.facts = facts
    self.adam = adam
  }

  /// The network's output count.
  public var classes: Int { classNames.count }
  /// Whether the classes are the ten digits in order, which reading numbers needs.
  public var hasDigitClasses: Bool { classNames == DatasetKind.mnist.classNames }

  public static func == (a: ModelFile, b: ModelFile) -> Bool {
    a.parameters == b.parameters && a.datasetName == b.datasetName && a.classNames == b.classNames
      && a.layout == b.layout && a.history == b.history
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
    let specs = SeedNetwork.parameterSpecs(classes: classes)
    var tensors = zip(specs, parameters).map {
      Safetensors.NamedTensor(name: $0.name, shape: $0.shape, values: $1)
    }
    var metadata: [String: String] = [
      "format": Self.format, "format_version": Self.formatVersion, "architecture": Self.architecture(classes: classes),
      "input": Self.input, "dataset": datasetName, "classes": try jsonString(classNames),
      "history": try jsonString(history),
    ]
    // MNIST's layout is what a file without the key means, so digits models keep their bytes.
    if layout != .mnist { metadata[Self.layoutKey] = layout.rawValue }
    if let facts { metadata["training"] = try jsonString(facts) }
    if let calibration { metadata[Self.calibrationKey] = try jsonString(calibration) }
    if let adam {
      metadata["adam_step"] = String(adam.step)
      for (i, spec) in specs.enumerated() {
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
    let datasetName = file.metadata["dataset"] ?? "mnist"
    guard Self.datasetNameProblem(datasetName) == nil else {
      throw DigitsError.file(path, "metadata \"dataset\" \(Self.datasetNameProblem(datasetName)!)")
    }
    let classNames =
      try Self.decode([String].self, file.metadata["classes"], "classes", path)
      ?? (DatasetKind(rawValue: datasetName) ?? .mnist).classNames
    if let problem = Self.classNamesProblem(classNames) { throw DigitsError.file(path, "metadata classes \(problem)") }
    guard file.metadata["architecture"] == Self.architecture(classes: classNames.count) else {
      throw DigitsError.file(
        path, "model has another architecture than the seed CNN with \(classNames.count) classes; \(remedy)")
    }
    let layoutText = file.metadata[Self.layoutKey] ?? Layout.mnist.rawValue
    guard let layout = Layout(rawValue: layoutText) else {
      throw DigitsError.file(
        path,
        "metadata \"\(Self.layoutKey)\" is \"\(layoutText.prefix(40))\", expected one of \(Layout.allCases.map(\.rawValue).joined(separator: ", "))"
      )
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
    let specs = SeedNetwork.parameterSpecs(classes: classNames.count)
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
    self.datasetName = datasetName
    self.classNames = classNames
    self.layout = layout
    history = try Self.decode([EpochRecord].self, file.metadata["history"], "history", path) ?? []
    facts = try Self.decode(TrainingFacts.self, file.metadata["training"], "training", path)
    calibration = try Self.decode(Calibration.self, file.metadata[Self.calibrationKey], Self.calibrationKey, path)
    try checkNumbers(path: path)
  }

  public static let calibrationKey = "calibration"
  public static let layoutKey = "layout"
  /// Longest class or data set name a file may hold: enough for any label people write,
  /// short enough that pages listing a thousand classes stay small.
  public static let maxNameLength = 100

  /// Why `names` cannot be a model's classes, or nil: their count must be in
  /// `SeedNetwork.classRange`, each name non-empty, printable and at most `maxNameLength`
  /// characters, no two the same (a prediction names one class).
  public static func classNamesProblem(_ names: [String]) -> String? {
    guard SeedNetwork.classRange.contains(names.count) else {
      return
        "has \(names.count) names, expected \(SeedNetwork.classRange.lowerBound) to \(SeedNetwork.classRange.upperBound)"
    }
    if let bad = names.firstIndex(where: { nameProblem($0) != nil }) {
      return "name \(bad) \(nameProblem(names[bad])!)"
    }
    var seen = Set<String>()
    if let twice = names.first(where: { !seen.insert($0).inserted }) {
      return "name \"\(twice.prefix(40))\" is given twice"
    }
    return nil
  }

  /// Why `name` cannot name a data set, or nil (the rules of a class name).
  public static func datasetNameProblem(_ name: String) -> String? { nameProblem(name) }

  static func nameProblem(_ name: String) -> String? {
    if name.isEmpty { return "is empty" }
    if name.count > maxNameLength { return "is longer than \(maxNameLength) characters" }
    if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
      return "holds a control character"
    }
    return nil
  }

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
