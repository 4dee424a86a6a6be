import DigitsCore
import Foundation

/// A corrections folder, as the drawing page's server writes it and `digits train --finetune`
/// reads it: a 28x28 8-bit grayscale PNG per correction (the input the model saw, white ink
/// on black, as MNIST) and a line `file,label,time` per correction in `labels.csv`, oldest
/// first. Private to its owner (folder 0700, files 0600: they are a sample of someone's
/// handwriting). Symbolic links in the folder are never followed: a link put there cannot
/// make a reader read or count another file.
public enum CorrectionFolder {
  public static let labelsFile = "labels.csv"
  public static let header = "file,label,time"

  /// The picture file of the `number`th correction.
  public static func pictureName(_ number: Int) -> String { String(format: "c%06d.png", number) }

  /// Every correction in `folder` as 28x28 images (ink 255 on 0) with labels, oldest first.
  /// One-line errors name the file and the problem: no folder, no labels.csv, no
  /// corrections, a bad line, a missing or wrong-sized picture.
  public static func load(folder: String) throws -> LabeledImages {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
      throw DigitsError.file(
        folder, "no such folder; corrections are saved there by the drawing page (digits serve --corrections \(folder))"
      )
    }
    let entries = try readLabels(folder: folder, missingIsEmpty: false)
    guard !entries.isEmpty else {
      throw DigitsError.file(
        path(labelsFile, in: folder), "holds no corrections yet; correct some predictions on the drawing page first")
    }
    var images = [UInt8](), labels = [LabeledImages.Label]()
    images.reserveCapacity(entries.count * MNISTShape.pixels)
    for entry in entries.suffix(Finetune.Recipe.maxCorrections) {
      let file = path(entry.file, in: folder)
      let data = try readSmall(file, limit: 1 << 20)
      let image = try ImageDecoder.decode(data, name: file, maxPixels: MNISTShape.pixels)
      guard image.width == MNISTShape.side, image.height == MNISTShape.side else {
        throw DigitsError.file(
          file, "is \(image.width)x\(image.height); corrections are \(MNISTShape.side)x\(MNISTShape.side)")
      }
      images += image.pixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
      labels.append(LabeledImages.Label(entry.label))
    }
    return LabeledImages(images: images, labels: labels, rows: MNISTShape.side, columns: MNISTShape.side)
  }

  public struct Entry: Sendable {
    public let file: String
    public let label: Int
    /// The line as written, kept when the file is rewritten.
    public let line: String
  }

  /// The lines of labels.csv, checked: a header, then `cNNNNNN.png`-style plain file names
  /// (no folders), labels 0-9.
  public static func readLabels(folder: String, missingIsEmpty: Bool) throws -> [Entry] {
    let csv = path(labelsFile, in: folder)
    guard FileManager.default.fileExists(atPath: csv) else {
      if missingIsEmpty { return [] }
      throw DigitsError.file(
        folder,
        "holds no \(labelsFile); correct some predictions on the drawing page first (digits serve --corrections \(folder))"
      )
    }
    let data = try readSmall(csv, limit: 16 << 20)
    guard let text = String(data: data, encoding: .utf8) else { throw DigitsError.file(csv, "is not UTF-8 text") }
    var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
    while lines.last?.isEmpty == true { lines.removeLast() }
    guard let first = lines.first, first.trimmingCharacters(in: .whitespaces) == header else {
      throw DigitsError.file(csv, "does not start with the header '\(header)'")
    }
    return try lines.dropFirst().enumerated().compactMap { offset, line in
      if line.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      let where_ = "line \(offset + 2)"
      guard fields.count >= 2 else { throw DigitsError.file(csv, "\(where_): expected file,label,time") }
      let file = fields[0]
      guard !file.isEmpty, !file.contains("/"), !file.hasPrefix("."), file.lowercased().hasSuffix(".png") else {
        throw DigitsError.file(csv, "\(where_): '\(file.prefix(60))' is not a .png file name in this folder")
      }
      guard let label = Int(fields[1]), (0..<MNISTShape.classes).contains(label) else {
        throw DigitsError.file(csv, "\(where_): label '\(fields[1].prefix(20))' is not a digit 0-9")
      }
      return Entry(file: file, label: label, line: line)
    }
  }

  /// A regular file's bytes, refused above `limit` before reading; opened once, never
  /// through a symbolic link, and checked on the descriptor read.
  public static func readSmall(_ path: String, limit: Int) throws -> Data {
    try InputFile(path: path, followLinks: false).readAll(limit: limit)
  }

  public static func path(_ name: String, in folder: String) -> String {
    (folder as NSString).appendingPathComponent(name)
  }

  /// The size of the regular file at `path` itself; nil for a link, a folder or nothing.
  public static func size(of path: String) -> Int? {
    var info = stat()
    guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
    return Int(info.st_size)
  }

  /// Corrections and the models learnt from them: the owner's only.
  public static let fileMode: mode_t = 0o600
  public static let folderMode: mode_t = 0o700

  /// Creates `folder` (and missing parents) readable by its owner only; a folder that exists
  /// is left as it is (it may be one the user shares on purpose, or /tmp).
  public static func makePrivateFolder(_ folder: String) throws {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue { return }
    do {
      try FileManager.default.createDirectory(
        atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(folderMode)])
    } catch {
      throw DigitsError.file(folder, "cannot create folder")
    }
  }
}
