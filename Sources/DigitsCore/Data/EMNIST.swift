import Foundation

/// The splits of EMNIST (Cohen et al. 2017, NIST Special Database 19 in MNIST's format).
public enum EMNISTSplit: String, CaseIterable, Codable, Sendable {
  case digits, letters, balanced, bymerge, byclass, mnist

  /// "emnist-letters": the `--dataset` value, the folder's and the data set's name.
  public var datasetName: String { "emnist-\(rawValue)" }

  /// The split named by `datasetName` ("emnist-letters"), or nil.
  public init?(datasetName: String) {
    guard datasetName.hasPrefix("emnist-") else { return nil }
    self.init(rawValue: String(datasetName.dropFirst("emnist-".count)))
  }

  /// Classes in the split's mapping file.
  public var classCount: Int {
    switch self {
    case .digits, .mnist: return 10
    case .letters: return 26
    case .balanced, .bymerge: return 47
    case .byclass: return 62
    }
  }

  /// The four IDX files (raw or `.gz`): training images and labels, test images and labels.
  public var fileStems: [String] {
    ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "test-images-idx3-ubyte", "test-labels-idx1-ubyte"].map {
      "\(datasetName)-\($0)"
    }
  }

  /// "label code [code]" lines: the class's label and the character code(s) it stands for.
  public var mappingFile: String { "\(datasetName)-mapping.txt" }

  /// Where `digits download --dataset emnist-<split>` puts the files.
  public func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
    return "\(home)/.cache/digits/\(datasetName)"
  }
}

/// Reads an EMNIST split from its folder: the four IDX files and the mapping file, as the
/// official archive holds them. Images are stored transposed (column by column) and are
/// turned to MNIST's row order; labels are shifted to start at 0 (`letters` numbers its
/// classes from 1); class names are the mapping's characters ("A", or "Aa" where a class
/// merges a capital and a small letter).
public enum EMNIST {
  /// Most images in one file: above ByClass's 697,932 training images. The payload limit
  /// (627 MB) follows from it and is checked before the image bytes are allocated.
  public static let maxImages = 800_000
  /// Largest mapping file read (ByClass's is 62 short lines).
  public static let maxMappingBytes = 64 << 10

  /// Loads `split` from `folder`. Errors name the file and the problem.
  public static func load(folder: String, split: EMNISTSplit) throws -> ClassifiedDataset {
    let stems = split.fileStems
    let paths = try stems.map { stem in
      guard let path = DatasetFolder.resolve(folder, stem) else {
        throw DigitsError.file(
          folder, "missing \(stem) (raw or .gz); run `digits download --dataset \(split.datasetName)`")
      }
      return path
    }
    let mappingPath = (folder as NSString).appendingPathComponent(split.mappingFile)
    let mapping = try Mapping(path: mappingPath, classes: split.classCount)
    let training = try loadPart(images: paths[0], labels: paths[1], mapping: mapping)
    let test = try loadPart(images: paths[2], labels: paths[3], mapping: mapping)
    return ClassifiedDataset(training: training, test: test, classNames: mapping.names, name: split.datasetName)
  }

  /// A split's mapping file: contiguous labels from 0 or 1, each with one or more character codes.
  struct Mapping {
    let firstLabel: Int
    let names: [String]

    init(path: String, classes: Int) throws {
      let data = try InputFile(path: path).readAll(limit: maxMappingBytes)
      guard let text = String(data: data, encoding: .utf8) else { throw DigitsError.file(path, "is not UTF-8 text") }
      try self.init(text: text, path: path, classes: classes)
    }

    init(text: String, path: String, classes: Int) throws {
      var byLabel: [Int: String] = [:]
      for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
        let fields = line.split(whereSeparator: \.isWhitespace).map { Int($0) }
        guard fields.count >= 2, let label = fields[0], (0...classes).contains(label) else {
          throw DigitsError.file(path, "line \(number + 1): expected \"label code\" with a label 0-\(classes)")
        }
        let scalars = try fields.dropFirst().map { code -> Unicode.Scalar in
          guard let code, code > 32, let scalar = Unicode.Scalar(code) else {
            throw DigitsError.file(path, "line \(number + 1): not a printable character code")
          }
          return scalar
        }
        guard byLabel[label] == nil else { throw DigitsError.file(path, "line \(number + 1): label \(label) twice") }
        var name = ""
        for scalar in scalars where !name.unicodeScalars.contains(scalar) { name.unicodeScalars.append(scalar) }
        byLabel[label] = name
      }
      guard byLabel.count == classes, let first = byLabel.keys.min(), first <= 1,
        (first..<(first + classes)).allSatisfy({ byLabel[$0] != nil })
      else {
        throw DigitsError.file(
          path, "maps \(byLabel.count) labels; expected \(classes) consecutive ones from 0 (or 1 for letters)")
      }
      firstLabel = first
      names = (first..<(first + classes)).map { byLabel[$0]! }
    }
  }

  /// One image file and its label file, checked and cross-checked, images turned upright.
  static func loadPart(images imagePath: String, labels labelPath: String, mapping: Mapping) throws -> LabeledImages {
    let side = MNISTShape.side
    let limit = maxImages * MNISTShape.pixels
    let header = try IDX.read(path: imagePath, maxPayloadBytes: limit)
    let labels = try IDX.read(path: labelPath, maxPayloadBytes: maxImages)
    guard header.dimensions.count == 3, header.dimensions[1] == side, header.dimensions[2] == side else {
      throw DigitsError.file(
        imagePath, "dimensions \(header.dimensions.map(String.init).joined(separator: "x")), expected Nx28x28")
    }
    guard labels.dimensions.count == 1, labels.dimensions[0] == header.dimensions[0] else {
      throw DigitsError.file(
        labelPath, "holds \(labels.bytes.count) labels but \(imagePath) holds \(header.dimensions[0]) images")
    }
    guard header.dimensions[0] > 0 else { throw DigitsError.file(imagePath, "holds no images") }
    let classes = mapping.firstLabel..<(mapping.firstLabel + mapping.names.count)
    if let bad = labels.bytes.firstIndex(where: { !classes.contains(Int($0)) }) {
      throw DigitsError.file(
        labelPath,
        "label \(labels.bytes[bad]) at index \(bad) is not one of the mapping's \(classes.lowerBound)-\(classes.upperBound - 1)"
      )
    }
    // Consumed, so the transposition works in place on the only copy (ByClass: 547 MB).
    var pixels = (consume header).bytes
    transpose(&pixels, side: side)
    return LabeledImages(
      images: pixels, labels: labels.bytes.map { LabeledImages.Label(Int($0) - mapping.firstLabel) }, rows: side,
      columns: side)
  }

  /// Turns every `side` x `side` image from column order to row order, in place.
  static func transpose(_ pixels: inout [UInt8], side: Int) {
    let size = side * side
    var scratch = [UInt8](repeating: 0, count: size)
    pixels.withUnsafeMutableBufferPointer { all in
      for start in stride(from: 0, to: all.count, by: size) {
        for y in 0..<side {
          for x in 0..<side { scratch[y * side + x] = all[start + x * side + y] }
        }
        for i in 0..<size { all[start + i] = scratch[i] }
      }
    }
  }
}
