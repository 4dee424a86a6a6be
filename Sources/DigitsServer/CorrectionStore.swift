import DigitsCore
import DigitsVision
import Foundation
import Synchronization

/// A writer's corrections on disk, in a folder only its owner can read (0700, files 0600:
/// they are a sample of someone's handwriting): each one a 28x28 8-bit
/// grayscale PNG of the input the model saw (white ink on black, as MNIST) and a line
/// `file,label,time` in `labels.csv`. Both are written with `AtomicFile`, the picture
/// first: a crash leaves at most a picture no line names, which readers ignore, never a
/// line naming a missing or half-written picture. Bounded in count and bytes, so a client
/// cannot fill the disk. Symbolic links in the folder are never followed: a link put there
/// cannot make the server read or count another file.
public final class CorrectionStore: Sendable {
  public struct Limits: Sendable {
    public var maxCount = 2_000
    /// Pictures plus labels.csv; a 28x28 PNG takes 100-700 bytes.
    public var maxBytes = 8 << 20
    public init() {}
  }

  public static let labelsFile = "labels.csv"
  /// Pictures are numbered below this (c000001.png on): far more than `Limits.maxCount`.
  static let largestNumber = 1_000_000_000
  static let header = "file,label,time"

  public let folder: String
  public let limits: Limits
  private let state: Mutex<State>

  private struct State {
    var lines: [String]
    var bytes: Int
    var next: Int
  }

  /// The store in `folder` (created on the first correction); the corrections already there
  /// count against the limits.
  public init(folder: String, limits: Limits = Limits()) throws {
    self.folder = folder
    self.limits = limits
    let existing = try Self.readLabels(folder: folder, missingIsEmpty: true)
    let bytes = existing.reduce(0) {
      $0 + (Self.size(of: Self.path($1.file, in: folder)) ?? 0) + $1.line.utf8.count + 1
    }
    // Numbers past this store's own (a folder written elsewhere) are skipped, so the next
    // one cannot overflow.
    let numbers = existing.compactMap { Int($0.file.dropFirst(1).prefix(while: \.isNumber)) }
    let next = (numbers.filter { $0 < Self.largestNumber }.max() ?? 0) + 1
    state = Mutex(State(lines: existing.map(\.line), bytes: bytes, next: next))
  }

  /// ~/.cache/digits/corrections.
  public static var defaultFolder: String {
    FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/digits/corrections").path
  }

  public var count: Int { state.withLock { $0.lines.count } }

  /// Saves one correction: `input28` (784 values in [0, 1], ink 1) labelled `label` (0-9).
  /// Returns the picture's file name and the count after it. Throws `APIError` 409 when full.
  @discardableResult
  public func add(input28: [Float], label: Int, date: Date = Date()) throws -> (file: String, count: Int) {
    precondition(input28.count == MNISTShape.pixels && (0..<MNISTShape.classes).contains(label))
    let bytes = input28.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
    let png = PNG.grayscale(bytes, width: MNISTShape.side, height: MNISTShape.side)
    return try state.withLock { state in
      guard state.lines.count < limits.maxCount else {
        throw APIError(
          .conflict,
          "the corrections folder is full (\(limits.maxCount) corrections); "
            + "learn from them, then move them elsewhere, or serve with another --corrections folder")
      }
      let file = String(format: "c%06d.png", state.next)
      let line = "\(file),\(label),\(ISO8601DateFormatter().string(from: date))"
      guard state.bytes + png.count + line.utf8.count + 1 <= limits.maxBytes else {
        throw APIError(
          .conflict,
          "the corrections folder is full (\(limits.maxBytes >> 20) MB); "
            + "learn from them, then move them elsewhere, or serve with another --corrections folder")
      }
      try Self.makePrivateFolder(folder)
      try AtomicFile.write(png, to: Self.path(file, in: folder), mode: Self.fileMode)
      let lines = state.lines + [line]
      try AtomicFile.write(
        Data(([Self.header] + lines).joined(separator: "\n").appending("\n").utf8),
        to: Self.path(Self.labelsFile, in: folder), mode: Self.fileMode)
      state.lines = lines
      state.bytes += png.count + line.utf8.count + 1
      state.next += 1
      return (file, lines.count)
    }
  }

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
    var images = [UInt8](), labels = [UInt8]()
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
      labels.append(UInt8(entry.label))
    }
    return LabeledImages(images: images, labels: labels, rows: MNISTShape.side, columns: MNISTShape.side)
  }

  struct Entry {
    let file: String
    let label: Int
    let line: String
  }

  /// The lines of labels.csv, checked: a header, then `cNNNNNN.png`-style plain file names
  /// (no folders), labels 0-9.
  static func readLabels(folder: String, missingIsEmpty: Bool) throws -> [Entry] {
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
  static func readSmall(_ path: String, limit: Int) throws -> Data {
    try InputFile(path: path, followLinks: false).readAll(limit: limit)
  }

  static func path(_ name: String, in folder: String) -> String { (folder as NSString).appendingPathComponent(name) }

  /// The size of the regular file at `path` itself; nil for a link, a folder or nothing.
  static func size(of path: String) -> Int? {
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
