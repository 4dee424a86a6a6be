import DigitsCore
import DigitsVision
import Foundation
import Synchronization

/// Saves a writer's corrections in a `CorrectionFolder` (the format is described there).
/// Picture and line are written with `AtomicFile`, the picture first: a crash leaves at most
/// a picture no line names, which readers ignore, never a line naming a missing or
/// half-written picture. Bounded in count and bytes, so a client cannot fill the disk.
public final class CorrectionStore: Sendable {
  public struct Limits: Sendable {
    public var maxCount = 2_000
    /// Pictures plus labels.csv; a 28x28 PNG takes 100-700 bytes.
    public var maxBytes = 8 << 20
    public init() {}
  }

  /// Pictures are numbered below this (c000001.png on): far more than `Limits.maxCount`.
  static let largestNumber = 1_000_000_000

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
    let existing = try CorrectionFolder.readLabels(folder: folder, missingIsEmpty: true)
    let bytes = existing.reduce(0) {
      $0 + (CorrectionFolder.size(of: CorrectionFolder.path($1.file, in: folder)) ?? 0) + $1.line.utf8.count + 1
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
      let file = CorrectionFolder.pictureName(state.next)
      let line = "\(file),\(label),\(ISO8601DateFormatter().string(from: date))"
      guard state.bytes + png.count + line.utf8.count + 1 <= limits.maxBytes else {
        throw APIError(
          .conflict,
          "the corrections folder is full (\(limits.maxBytes >> 20) MB); "
            + "learn from them, then move them elsewhere, or serve with another --corrections folder")
      }
      try CorrectionFolder.makePrivateFolder(folder)
      try AtomicFile.write(png, to: CorrectionFolder.path(file, in: folder), mode: CorrectionFolder.fileMode)
      let lines = state.lines + [line]
      try AtomicFile.write(
        Data(([CorrectionFolder.header] + lines).joined(separator: "\n").appending("\n").utf8),
        to: CorrectionFolder.path(CorrectionFolder.labelsFile, in: folder), mode: CorrectionFolder.fileMode)
      state.lines = lines
      state.bytes += png.count + line.utf8.count + 1
      state.next += 1
      return (file, lines.count)
    }
  }
}
