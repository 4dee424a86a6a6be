import DigitsCore
import Foundation

/// Letters drawn by the stroke generator, as labelled images or as a picture folder
/// (`DIR/<class>/*.png`) that `ImageFolderDataset` reads: data no one tuned to, for showing
/// that training on a folder of one's own pictures works.
public enum GeneratedLetters {
  /// Which letters make the classes.
  public enum Classes: String, CaseIterable, Sendable {
    /// 26 classes A-Z.
    case capital
    /// 26 classes a-z.
    case small
    /// 26 classes named by the capital, each drawn half as capital, half as small (as
    /// EMNIST Letters merges them).
    case merged

    public var names: [String] {
      switch self {
      case .capital, .merged: return Letter.capitals.map(\.description)
      case .small: return Letter.smalls.map(\.description)
      }
    }

    /// The letter of class `index` for its `k`th drawing.
    func letter(_ index: Int, drawing k: Int) -> Letter {
      switch self {
      case .capital: return Letter.capitals[index]
      case .small: return Letter.smalls[index]
      case .merged: return k % 2 == 0 ? Letter.capitals[index] : Letter.smalls[index]
      }
    }
  }

  /// `perClass` drawings of each class, interleaved class by class, as 8-bit images (ink
  /// high on 0); the same seed gives the same images.
  public static func images(_ classes: Classes, perClass: Int, seed: UInt64, style: HandwritingStyle) -> LabeledImages {
    let count = classes.names.count
    let items = (0..<perClass).flatMap { k in (0..<count).map { (label: $0, letter: classes.letter($0, drawing: k)) } }
    let generator = HandwritingGenerator(style: style)
    let bytes = HandwritingGenerator.drawings(count: items.count, seed: seed) { i, rng in
      generator.draw(items[i].letter, rng: &rng)
    }
    return LabeledImages(
      images: bytes, labels: items.map { LabeledImages.Label($0.label) }, rows: MNISTShape.side,
      columns: MNISTShape.side)
  }

  /// Writes `images(classes, perClass:, seed:, style:)` as 28x28 gray PNGs, dark ink on white
  /// paper like a scanned drawing, into `folder/<class>/<seed>-<n>.png`. Returns the count.
  @discardableResult
  public static func writeFolder(
    _ folder: String, classes: Classes, perClass: Int, seed: UInt64, style: HandwritingStyle
  ) throws -> Int {
    let set = images(classes, perClass: perClass, seed: seed, style: style)
    let names = classes.names
    for name in names {
      let path = (folder as NSString).appendingPathComponent(name)
      do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
      } catch {
        throw DigitsError.file(path, "cannot create folder")
      }
    }
    let p = MNISTShape.pixels
    for i in 0..<set.count {
      let paper = set.images[(i * p)..<((i + 1) * p)].map { 255 - $0 }
      let png = PNG.grayscale(paper, width: MNISTShape.side, height: MNISTShape.side)
      let path = (folder as NSString).appendingPathComponent("\(names[Int(set.labels[i])])/\(seed)-\(i).png")
      guard FileManager.default.createFile(atPath: path, contents: png) else {
        throw DigitsError.file(path, "cannot be written")
      }
    }
    return set.count
  }
}
