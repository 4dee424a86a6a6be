import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// The stroke generator's letters and the picture folders written from them.
@Suite struct LetterTests {
  static func image(_ set: LabeledImages, _ i: Int) -> ArraySlice<UInt8> {
    set.images[(i * MNISTShape.pixels)..<((i + 1) * MNISTShape.pixels)]
  }

  /// Every letter draws a plausible amount of ink inside the field, the same for a seed.
  @Test(arguments: [GeneratedLetters.Classes.capital, .small])
  func everyLetterHasInkAndIsDeterministic(_ classes: GeneratedLetters.Classes) {
    let a = GeneratedLetters.images(classes, perClass: 3, seed: 5, style: .training)
    let b = GeneratedLetters.images(classes, perClass: 3, seed: 5, style: .training)
    #expect(a.images == b.images && a.labels == b.labels)
    #expect(a.labels == (0..<3).flatMap { _ in (0..<26).map { LabeledImages.Label($0) } })
    for i in 0..<a.count {
      let ink = Self.image(a, i).reduce(0) { $0 + Int($1) } / 255
      #expect(ink > 25 && ink < 300, "\(classes.names[Int(a.labels[i])]) drawing \(i): ink \(ink)")
    }
  }

  /// The letters are told apart by shape: the mean drawing of each letter (40 per letter, the
  /// training style) is the nearest mean for most drawings in the test style from another
  /// seed. A letter drawn like another (or a broken stroke model drawing nothing useful)
  /// pulls this down.
  @Test(arguments: [GeneratedLetters.Classes.capital, .small])
  func nearestMeanTellsTheLettersApart(_ classes: GeneratedLetters.Classes) {
    let train = GeneratedLetters.images(classes, perClass: 40, seed: 1, style: .training)
    let test = GeneratedLetters.images(classes, perClass: 20, seed: 2, style: .styleTest)
    let p = MNISTShape.pixels
    var means = [[Float]](repeating: [Float](repeating: 0, count: p), count: 26)
    for i in 0..<train.count {
      let label = Int(train.labels[i])
      for (j, v) in Self.image(train, i).enumerated() { means[label][j] += Float(v) / 40 }
    }
    var right = [Int](repeating: 0, count: 26)
    for i in 0..<test.count {
      let pixels = Self.image(test, i).map { Float($0) }
      let distances = means.map { mean in zip(mean, pixels).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
      let nearest = distances.indices.min { distances[$0] < distances[$1] }!
      if nearest == Int(test.labels[i]) { right[nearest] += 1 }
    }
    let accuracy = Double(right.reduce(0, +)) / Double(test.count)
    print(
      "nearest mean, \(classes.rawValue): \(accuracy); per letter \(zip(classes.names, right).map { "\($0)=\($1)" })")
    #expect(accuracy >= 0.9, "\(accuracy)")  // 0.973 capitals, 0.977 small when written
    #expect(
      right.allSatisfy { $0 >= 10 },
      "a letter never nearest its own mean: \(zip(classes.names, right).map { "\($0)=\($1)" })")
  }

  /// A written folder reads back as 26 classes A-Z with every picture readable.
  @Test func writtenFolderReadsBack() throws {
    let dir = TemporaryDirectory()
    let count = try GeneratedLetters.writeFolder(dir.path, classes: .merged, perClass: 2, seed: 3, style: .training)
    #expect(count == 52)
    var notes: [String] = []
    let set = try ImageFolderDataset.load(dir.path, log: { notes.append($0) })
    #expect(notes.isEmpty, "\(notes)")
    #expect(set.classNames == Letter.capitals.map(\.description))
    #expect(set.training.count == 52 && set.test == nil)
    #expect(set.training.labels.filter { $0 == 0 }.count == 2)
  }
}
