import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// Folders of pictures as data sets (`ImageFolderDataset`), on small folders written here.
@Suite struct ImageFolderDatasetTests {
  /// Generated digits as dark-on-white PNGs: `count` drawings of `convention` in `folder`.
  static func writeDrawings(_ folder: String, _ convention: DigitConvention, count: Int, seed: UInt64) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let set = HandwritingGenerator(style: .training).dataset([convention], perConvention: count, seed: seed)
    let p = MNISTShape.pixels
    for i in 0..<count {
      let paper = set.images[(i * p)..<((i + 1) * p)].map { 255 - $0 }
      try PNG.grayscale(paper, width: 28, height: 28).write(to: URL(fileURLWithPath: "\(folder)/\(i).png"))
    }
  }

  /// Collects the notes a load prints.
  final class Notes: @unchecked Sendable {
    var lines: [String] = []
    func log(_ line: String) { lines.append(line) }
  }

  /// Class folders sorted into indices; each picture laid out exactly as `predict` lays it
  /// out; a damaged file and a blank picture each named on one line, counted, and skipped.
  @Test func classFoldersBecomeSortedClassesAndUnreadablePicturesAreSkipped() throws {
    let dir = TemporaryDirectory()
    try Self.writeDrawings(dir.path + "/seven", .sevenPlain, count: 3, seed: 1)
    try Self.writeDrawings(dir.path + "/one", .onePlain, count: 2, seed: 2)
    try Self.writeDrawings(dir.path + "/zero/nested", .zero, count: 2, seed: 3)
    try Data("not a picture".utf8).write(to: URL(fileURLWithPath: dir.path + "/one/broken.png"))
    let blank = [UInt8](repeating: 255, count: 784)
    try PNG.grayscale(blank, width: 28, height: 28).write(to: URL(fileURLWithPath: dir.path + "/seven/blank.png"))
    try Data("ignored".utf8).write(to: URL(fileURLWithPath: dir.path + "/seven/notes.txt"))

    let notes = Notes()
    let set = try ImageFolderDataset.load(dir.path, log: notes.log)
    #expect(set.classNames == ["one", "seven", "zero"])
    #expect(set.test == nil)
    #expect(set.training.labels == [0, 0, 1, 1, 1, 2, 2].map { LabeledImages.Label($0) })
    #expect(notes.lines.count == 3, "\(notes.lines)")
    #expect(notes.lines.contains { $0.hasPrefix(dir.path + "/one/broken.png: not a readable image") })
    #expect(notes.lines.contains { $0.hasPrefix(dir.path + "/seven/blank.png: no ink found") })
    #expect(notes.lines.last == "\(dir.path): 2 of 9 pictures unreadable, skipped")

    // The first "seven" picture, as `predict` would see it.
    let image = try ImageDecoder.read(path: dir.path + "/seven/0.png")
    let expected = try #require(DigitPreprocessor().prepare(image).pixels).map { UInt8(($0 * 255).rounded()) }
    #expect(Array(set.training.images[(2 * 784)..<(3 * 784)]) == expected)
  }

  /// `train --data DIR` trains on the folder's pictures in a shuffled order, so that the
  /// validation split (the last part) is not only the last classes.
  @Test func trainingOnAFolderMixesTheClasses() throws {
    let dir = TemporaryDirectory()
    for (k, convention) in [DigitConvention.three, .five, .zero].enumerated() {
      try Self.writeDrawings(dir.path + "/c\(k)", convention, count: 10, seed: UInt64(k))
    }
    let source = try TrainingRun.loadDataset(dataPath: dir.path, dataset: nil, layout: nil)
    let loaded = try ImageFolderDataset.load(dir.path, log: { _ in })
    #expect(source.classNames == ["c0", "c1", "c2"])
    #expect(source.layout == .mnist)
    #expect(Set(source.training.labels.suffix(6)).count >= 2, "\(source.training.labels)")
    // The same pictures with the same labels, in another order.
    let p = 784
    func pairs(_ set: LabeledImages) -> [[UInt8]] {
      (0..<set.count).map { Array(set.images[($0 * p)..<(($0 + 1) * p)]) + [UInt8(set.labels[$0])] }.sorted {
        $0.lexicographicallyPrecedes($1)
      }
    }
    #expect(pairs(source.training) == pairs(loaded.training))
    #expect(source.training.labels != loaded.training.labels)
  }

  /// `train/` and `test/` become the two halves, with the training half's class indices.
  @Test func trainAndTestFolders() throws {
    let dir = TemporaryDirectory()
    try Self.writeDrawings(dir.path + "/train/a", .three, count: 3, seed: 4)
    try Self.writeDrawings(dir.path + "/train/b", .five, count: 2, seed: 5)
    try Self.writeDrawings(dir.path + "/test/b", .five, count: 2, seed: 6)
    let set = try ImageFolderDataset.load(dir.path, log: { _ in })
    #expect(set.classNames == ["a", "b"])
    #expect(set.training.count == 5)
    #expect(set.test?.labels == [1, 1])
    #expect(set.name == URL(fileURLWithPath: dir.path).lastPathComponent)

    try Self.writeDrawings(dir.path + "/test/c", .five, count: 1, seed: 7)
    #expect(throws: DigitsError.file(dir.path + "/test/c", "class not among the training classes in \(dir.path)/train"))
    {
      try ImageFolderDataset.load(dir.path, log: { _ in })
    }
  }

  /// `resize` stretches the whole picture to 28x28 and inverts it: a 56x28 picture, left
  /// half black, right half white, becomes ink (255) on the left 14 columns only.
  @Test func resizeLayoutStretchesAndInverts() throws {
    let dir = TemporaryDirectory()
    var pixels = [UInt8](repeating: 255, count: 56 * 28)
    for y in 0..<28 { for x in 0..<28 { pixels[y * 56 + x] = 0 } }
    for name in ["p", "q"] {
      try FileManager.default.createDirectory(atPath: "\(dir.path)/\(name)", withIntermediateDirectories: true)
      try PNG.grayscale(pixels, width: 56, height: 28).write(to: URL(fileURLWithPath: "\(dir.path)/\(name)/1.png"))
    }
    let set = try ImageFolderDataset.load(dir.path, layout: .resize, log: { _ in })
    let first = Array(set.training.images[0..<784])
    #expect(first == (0..<784).map { $0 % 28 < 14 ? 255 : 0 })
  }

  /// One line that names the folder and what is wrong, before any picture is decoded.
  @Test func badFoldersAreRefused() throws {
    let dir = TemporaryDirectory()
    #expect(throws: DigitsError.file(dir.path + "/none", "no such folder")) {
      try ImageFolderDataset.load(dir.path + "/none", log: { _ in })
    }
    try Self.writeDrawings(dir.path + "/only", .three, count: 2, seed: 8)
    let one = #expect(throws: DigitsError.self) { try ImageFolderDataset.load(dir.path, log: { _ in }) }
    #expect(one?.description.hasPrefix("\(dir.path): holds 1 class folder; expected one folder per class") == true)

    // A class whose pictures are all unreadable.
    try FileManager.default.createDirectory(atPath: dir.path + "/empty", withIntermediateDirectories: true)
    try Data([0, 1, 2]).write(to: URL(fileURLWithPath: dir.path + "/empty/x.png"))
    #expect(throws: DigitsError.file(dir.path + "/empty", "no readable picture in this class folder")) {
      try ImageFolderDataset.load(dir.path, log: { _ in })
    }

    var limits = ImageFolderDataset.Limits()
    limits.maxPictures = 2
    #expect(throws: DigitsError.file(dir.path, "holds more than the 2-picture limit")) {
      try ImageFolderDataset.load(dir.path, limits: limits, log: { _ in })
    }
    try Self.writeDrawings(dir.path + "/third", .three, count: 1, seed: 9)
    limits = ImageFolderDataset.Limits()
    limits.maxClasses = 2
    #expect(throws: DigitsError.file(dir.path, "holds 3 class folders, more than the 2 limit")) {
      try ImageFolderDataset.load(dir.path, limits: limits, log: { _ in })
    }
  }
}
