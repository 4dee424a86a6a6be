import Foundation

/// Images and labels in memory as bytes (0 = background), 28x28 for MNIST.
public struct LabeledImages: Sendable {
  /// One image's class index: two bytes, room for `SeedNetwork.classRange` (IDX label files
  /// keep one byte each and are widened on load).
  public typealias Label = UInt16

  public let images: [UInt8]
  public let labels: [Label]
  public let rows: Int
  public let columns: Int

  public init(images: [UInt8], labels: [Label], rows: Int, columns: Int) {
    precondition(images.count == labels.count * rows * columns)
    self.images = images
    self.labels = labels
    self.rows = rows
    self.columns = columns
  }

  public var count: Int { labels.count }
  public var pixelsPerImage: Int { rows * columns }

  /// The images in `range`, as a new set.
  public func slice(_ range: Range<Int>) -> LabeledImages {
    let p = pixelsPerImage
    return LabeledImages(
      images: Array(images[(range.lowerBound * p)..<(range.upperBound * p)]),
      labels: Array(labels[range]), rows: rows, columns: columns)
  }

  /// Images `range` scaled to [0, 1] and their labels, in new arrays (as `fill` writes them).
  public func floats(_ range: Range<Int>) -> (pixels: [Float], labels: [Float]) {
    var pixels = [Float](repeating: 0, count: range.count * pixelsPerImage)
    var labels = [Float](repeating: 0, count: range.count)
    pixels.withUnsafeMutableBufferPointer { p in
      labels.withUnsafeMutableBufferPointer { l in fill(indices: Array(range)[...], pixels: p, labels: l) }
    }
    return (pixels, labels)
  }

  /// Writes images `indices` scaled to [0, 1] into `pixels` and their labels into `labels`.
  public func fill(
    indices: ArraySlice<Int>, pixels: UnsafeMutableBufferPointer<Float>, labels out: UnsafeMutableBufferPointer<Float>
  ) {
    let p = pixelsPerImage
    images.withUnsafeBufferPointer { src in
      for (slot, index) in indices.enumerated() {
        let base = index * p
        for i in 0..<p { pixels[slot * p + i] = Float(src[base + i]) * (1.0 / 255.0) }
        out[slot] = Float(labels[index])
      }
    }
  }
}

/// The data sets `digits` knows, with their class names and where their files usually are.
public enum DatasetKind: String, CaseIterable, Codable, Sendable {
  case mnist
  case fashion

  public var classNames: [String] {
    switch self {
    case .mnist: return (0...9).map(String.init)
    case .fashion:
      return ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    }
  }

  /// Folders searched after `--data` and `$DIGITS_DATA`, under `$HOME` of `environment`
  /// (the user's home folder when it has none), so `digits download` writes where `locate`
  /// looks.
  public func defaultDirectories(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
    let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
    switch self {
    case .mnist: return ["\(home)/.cache/digits/mnist"]
    case .fashion: return ["\(home)/.cache/digits/fashion-mnist", "/usr/share/datasets/fashion-mnist"]
    }
  }

  /// How a user gets the files when none are found.
  public var installHint: String {
    switch self {
    case .mnist:
      return
        "run `digits download` or pass --data DIR holding train-images-idx3-ubyte.gz and the other three MNIST files"
    case .fashion: return "run `apt-get install dataset-fashion-mnist` or `digits download --dataset fashion`"
    }
  }
}

/// The four IDX files of an MNIST-format data set in one folder.
public struct DatasetFolder: Sendable {
  public let path: String
  public let kind: DatasetKind

  public static let fileStems = [
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
  ]

  public init(path: String, kind: DatasetKind = .mnist) {
    self.path = path
    self.kind = kind
  }

  /// Finds the folder: the explicit option, then `$DIGITS_DATA`, then the kind's defaults.
  /// The error names every place it looked and how to get the files. `testOnly`: a folder
  /// with just the two test files will do (evaluation never reads the training set).
  public static func locate(
    option: String?, kind: DatasetKind = .mnist, testOnly: Bool = false,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> DatasetFolder {
    let fileStems = testOnly ? Array(Self.fileStems[2...]) : Self.fileStems
    var candidates: [String] = []
    if let option {
      candidates = [option]
    } else {
      if let env = environment["DIGITS_DATA"], !env.isEmpty { candidates.append(env) }
      candidates += kind.defaultDirectories(environment: environment)
    }
    for dir in candidates where fileStems.allSatisfy({ stem in resolve(dir, stem) != nil }) {
      return DatasetFolder(path: dir, kind: kind)
    }
    if let option {
      let missing = fileStems.filter { resolve(option, $0) == nil }
      throw DigitsError.file(option, "missing \(missing.joined(separator: ", ")) (raw or .gz); \(kind.installHint)")
    }
    throw DigitsError(
      "no \(kind.rawValue) data set found in \(candidates.joined(separator: ", ")); \(kind.installHint)")
  }

  /// `stem` or `stem.gz` inside `dir`, whichever exists.
  public static func resolve(_ dir: String, _ stem: String) -> String? {
    for name in [stem, stem + ".gz"] {
      let p = (dir as NSString).appendingPathComponent(name)
      if FileManager.default.fileExists(atPath: p) { return p }
    }
    return nil
  }

  /// Both splits, named for the kind (its class names and `rawValue`).
  public func loadClassified() throws -> ClassifiedDataset {
    ClassifiedDataset(
      training: try loadTraining(), test: try loadTest(), classNames: kind.classNames, name: kind.rawValue)
  }

  public func loadTraining() throws -> LabeledImages { try load(images: Self.fileStems[0], labels: Self.fileStems[1]) }
  public func loadTest() throws -> LabeledImages { try load(images: Self.fileStems[2], labels: Self.fileStems[3]) }

  func load(images imageStem: String, labels labelStem: String) throws -> LabeledImages {
    guard let imagePath = Self.resolve(path, imageStem), let labelPath = Self.resolve(path, labelStem) else {
      throw DigitsError.file(path, "missing \(imageStem) or \(labelStem); \(kind.installHint)")
    }
    return try Self.load(imagePath: imagePath, labelPath: labelPath, classes: kind.classNames.count)
  }

  /// Loads and cross-checks one image file and one label file. Each costs at most the
  /// payload its header declares (see `IDX`); the image bytes are kept without a copy.
  public static func load(imagePath: String, labelPath: String, classes: Int = MNISTShape.classes) throws
    -> LabeledImages
  {
    let images = try IDX.read(path: imagePath)
    let labels = try IDX.read(path: labelPath)
    guard images.dimensions.count == 3 else {
      throw DigitsError.file(
        imagePath, "expected 3 dimensions (count, rows, columns), found \(images.dimensions.count)")
    }
    guard labels.dimensions.count == 1 else {
      throw DigitsError.file(labelPath, "expected 1 dimension (count), found \(labels.dimensions.count)")
    }
    guard images.dimensions[1] == MNISTShape.side, images.dimensions[2] == MNISTShape.side else {
      throw DigitsError.file(imagePath, "images are \(images.dimensions[1])x\(images.dimensions[2]), expected 28x28")
    }
    guard images.dimensions[0] > 0 else { throw DigitsError.file(imagePath, "holds no images") }
    guard images.dimensions[0] == labels.dimensions[0] else {
      throw DigitsError.file(
        labelPath, "holds \(labels.dimensions[0]) labels but \(imagePath) holds \(images.dimensions[0]) images")
    }
    if let bad = labels.bytes.firstIndex(where: { Int($0) >= classes }) {
      throw DigitsError.file(labelPath, "label \(labels.bytes[bad]) at index \(bad) is not a class 0-\(classes - 1)")
    }
    return LabeledImages(
      images: images.bytes, labels: labels.bytes.map(LabeledImages.Label.init), rows: MNISTShape.side,
      columns: MNISTShape.side)
  }
}
