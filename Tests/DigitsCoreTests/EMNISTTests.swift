import DigitsCore
import Foundation
import Testing
import _TestSupport

/// Reading EMNIST splits from folders written here in the official layout.
@Suite struct EMNISTTests {
  /// A `split` folder whose image `i` has pixel (row 0, column 1) = i and everything else 0,
  /// stored as EMNIST stores it (transposed: that pixel at byte 28), and labels `labels`.
  static func writeSplit(
    _ dir: String, _ split: EMNISTSplit, trainLabels: [UInt8], testLabels: [UInt8], mapping: String
  ) throws {
    for (part, labels) in [("train", trainLabels), ("test", testLabels)] {
      var images = [UInt8](repeating: 0, count: labels.count * 784)
      for i in labels.indices { images[i * 784 + 28] = UInt8(i + 1) }
      let stem = "\(dir)/\(split.datasetName)-\(part)"
      try IDX.encode(dimensions: [labels.count, 28, 28], bytes: images).write(
        to: URL(fileURLWithPath: stem + "-images-idx3-ubyte"))
      try IDX.encode(dimensions: [labels.count], bytes: labels).write(
        to: URL(fileURLWithPath: stem + "-labels-idx1-ubyte"))
    }
    try mapping.write(toFile: "\(dir)/\(split.mappingFile)", atomically: true, encoding: .utf8)
  }

  /// EMNIST Letters' mapping: labels 1-26, each a capital and a small letter.
  static let lettersMapping = (1...26).map { "\($0) \(64 + $0) \(96 + $0)" }.joined(separator: "\n") + "\n"

  @Test func lettersAreTurnedUprightAndShiftedToStartAtZero() throws {
    let dir = TemporaryDirectory()
    try Self.writeSplit(dir.path, .letters, trainLabels: [1, 26, 3], testLabels: [2], mapping: Self.lettersMapping)
    let set = try EMNIST.load(folder: dir.path, split: .letters)
    #expect(set.name == "emnist-letters")
    #expect(set.classNames.count == 26 && set.classNames.first == "Aa" && set.classNames.last == "Zz")
    #expect(set.training.labels == [0, 25, 2].map { LabeledImages.Label($0) })
    #expect(set.test?.labels == [1])
    // Stored at byte 28 (column 0, row 1 of the transposed image): row 0, column 1 upright.
    for i in 0..<3 {
      let image = Array(set.training.images[(i * 784)..<((i + 1) * 784)])
      #expect(image[1] == UInt8(i + 1) && image.reduce(0) { $0 + Int($1) } == i + 1)
    }
  }

  @Test func balancedNamesComeFromTheMapping() throws {
    let dir = TemporaryDirectory()
    let codes = Array(48...57) + Array(65...90) + [97, 98, 100, 101, 102, 103, 104, 110, 113, 114, 116]
    let mapping = codes.enumerated().map { "\($0) \($1)" }.joined(separator: "\n")
    try Self.writeSplit(dir.path, .balanced, trainLabels: [0, 46], testLabels: [10], mapping: mapping)
    let set = try EMNIST.load(folder: dir.path, split: .balanced)
    #expect(set.classNames.count == 47)
    #expect(set.classNames[0] == "0" && set.classNames[10] == "A" && set.classNames[46] == "t")
    #expect(set.training.labels == [0, 46])
  }

  /// One line naming the file and the problem.
  @Test func badFilesAreNamed() throws {
    let dir = TemporaryDirectory()
    #expect(
      throws: DigitsError.file(
        dir.path,
        "missing emnist-letters-train-images-idx3-ubyte (raw or .gz); run `digits download --dataset emnist-letters`")
    ) { try EMNIST.load(folder: dir.path, split: .letters) }

    // Label 0 is no class of Letters (1-26).
    try Self.writeSplit(dir.path, .letters, trainLabels: [1, 0], testLabels: [2], mapping: Self.lettersMapping)
    let labels = dir.path + "/emnist-letters-train-labels-idx1-ubyte"
    #expect(throws: DigitsError.file(labels, "label 0 at index 1 is not one of the mapping's 1-26")) {
      try EMNIST.load(folder: dir.path, split: .letters)
    }

    let mapping = dir.path + "/emnist-letters-mapping.txt"
    try Self.writeSplit(dir.path, .letters, trainLabels: [1], testLabels: [2], mapping: "1 65 97\n2 66 98\n")
    #expect(
      throws: DigitsError.file(mapping, "maps 2 labels; expected 26 consecutive ones from 0 (or 1 for letters)")
    ) { try EMNIST.load(folder: dir.path, split: .letters) }
    try "1 65\n1 66\n".write(toFile: mapping, atomically: true, encoding: .utf8)
    #expect(throws: DigitsError.file(mapping, "line 2: label 1 twice")) {
      try EMNIST.load(folder: dir.path, split: .letters)
    }
    try "x 65\n".write(toFile: mapping, atomically: true, encoding: .utf8)
    #expect(throws: DigitsError.file(mapping, "line 1: expected \"label code\" with a label 0-26")) {
      try EMNIST.load(folder: dir.path, split: .letters)
    }
  }

  /// A header that declares more images than any split holds is refused before allocating.
  @Test func oversizedHeaderIsRefusedBeforeAllocating() throws {
    let dir = TemporaryDirectory()
    try Self.writeSplit(dir.path, .letters, trainLabels: [1], testLabels: [2], mapping: Self.lettersMapping)
    let images = dir.path + "/emnist-letters-train-images-idx3-ubyte"
    try IDX.encode(dimensions: [EMNIST.maxImages + 1, 28, 28], bytes: []).write(to: URL(fileURLWithPath: images))
    let error = #expect(throws: DigitsError.self) { try EMNIST.load(folder: dir.path, split: .letters) }
    #expect(error?.description.hasPrefix("\(images): dimensions 800001x28x28 declare more than") == true, "\(error!)")
  }

  @Test func splitNames() {
    #expect(EMNISTSplit(datasetName: "emnist-byclass") == .byclass)
    #expect(EMNISTSplit(datasetName: "byclass") == nil && EMNISTSplit(datasetName: "emnist-x") == nil)
    #expect(EMNISTSplit.allCases.map(\.classCount) == [10, 26, 47, 47, 62, 10])
    #expect(EMNISTSplit.letters.defaultDirectory(environment: ["HOME": "/h"]) == "/h/.cache/digits/emnist-letters")
  }
}
