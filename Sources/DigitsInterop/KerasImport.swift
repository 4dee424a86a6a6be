import DigitsCore
import Foundation

/// Reads a Keras model of the seed CNN into a `ModelFile`: a Keras 2 `.h5` (`model.save`), a
/// Keras 3 `.keras` zip (`config.json` + `model.weights.h5`) or a weights-only `.weights.h5`.
/// The kind is told by the first bytes, not the name. Anything else is one error naming the
/// file and what was expected; sizes are checked before memory is spent on them.
public enum KerasImport {
  /// How fc1's columns are taken from Keras' Dense kernel. `unconverted` copies Keras'
  /// channels-last order as if it were NCHW: it exists only so a test can show that the
  /// conversion matters (the imported model's accuracy collapses without it).
  public enum FlattenOrder: Sendable {
    case channelsLastToNCHW
    case unconverted
  }

  /// The largest file read, and the largest `model.weights.h5` taken out of a zip: the seed
  /// CNN's weights are 0.9 MB, 2.7 MB with Adam's state.
  public static let maxFileBytes = 16 << 20
  /// Entries in a `.keras` zip (Keras writes 3).
  public static let maxZipEntries = 64

  static let zipSignature: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
  static let expectedKinds = "a Keras model of the seed CNN (.h5 from model.save, .keras, or .weights.h5)"

  /// Reads the file at `path`. `classNames` name the last layer's outputs; nil: the digits
  /// for ten outputs, else "0", "1", ...
  public static func read(path: String, classNames: [String]? = nil, flatten: FlattenOrder = .channelsLastToNCHW)
    throws -> ModelFile
  {
    try read(bytes: readFile(path), path: path, classNames: classNames, flatten: flatten)
  }

  /// Reads a model from the bytes of a file (`path` names it in errors).
  public static func read(
    bytes: Data, path: String, classNames: [String]? = nil, flatten: FlattenOrder = .channelsLastToNCHW
  ) throws -> ModelFile {
    guard bytes.count <= maxFileBytes else {
      throw DigitsError.file(path, "is \(bytes.count) bytes, more than the \(maxFileBytes)-byte limit for Keras models")
    }
    let parameters: [[Float]]
    if bytes.starts(with: zipSignature) {
      let zip = try KerasZip(bytes: bytes, path: path)
      let config = try KerasConfig.decode(zip.config, path: path + ":config.json")
      let classes = try config.weightedLayers(path: path + ":config.json").classes
      let weights = try HDF5File(bytes: zip.weights, path: path + ":model.weights.h5")
      parameters = try KerasWeights.parameters(
        weights, names: KerasWeights.keras3Names, classes: classes, flatten: flatten)
    } else if bytes.starts(with: HDF5File.signature) {
      let file = try HDF5File(bytes: bytes, path: path)
      // A Keras 2 `.h5` from model.save has its config; weights-only files have none.
      let layers = try file.rootString("model_config").map {
        try KerasConfig.decode(Data($0.utf8), path: path + ":model_config").weightedLayers(path: path)
      }
      parameters = try KerasWeights.parameters(file, names: layers?.names, classes: layers?.classes, flatten: flatten)
    } else {
      throw DigitsError.file(path, "is neither an HDF5 file nor a zip; expected \(expectedKinds)")
    }
    let classes = parameters[parameters.count - 1].count
    if let classNames {
      guard classNames.count == classes else {
        throw DigitsError.file(
          path, "Keras model has \(classes) outputs, but \(classNames.count) class names were given")
      }
      if let problem = ModelFile.classNamesProblem(classNames) { throw DigitsError("class names: \(problem)") }
      return ModelFile(parameters: parameters, datasetName: "keras", classNames: classNames)
    }
    if classes == MNISTShape.classes { return ModelFile(parameters: parameters, dataset: .mnist) }
    return ModelFile(parameters: parameters, datasetName: "keras", classNames: (0..<classes).map(String.init))
  }

  /// The whole file, refused beyond `maxFileBytes` before it is read past that.
  static func readFile(_ path: String) throws -> Data {
    let file = try InputFile(path: path)
    let (_, read) = try file.contents()
    var data = Data()
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = try chunk.withUnsafeMutableBytes { try read($0) }
      data.append(contentsOf: chunk[0..<n])
      guard data.count <= maxFileBytes else {
        throw DigitsError.file(path, "is more than the \(maxFileBytes)-byte limit for Keras models")
      }
      if n < chunk.count { return data }
    }
  }
}
