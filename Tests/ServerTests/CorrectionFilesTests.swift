import DigitsCore
import DigitsServer
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// The corrections on disk are the writer's own: a folder only its owner can open, files only
/// its owner can read, and links in the folder never followed.
@Suite struct CorrectionFilesTests {
  static func mode(_ path: String) -> mode_t {
    var info = stat()
    return lstat(path, &info) == 0 ? info.st_mode & 0o777 : 0o7777
  }

  @Test func folderIs0700AndFiles0600() throws {
    let root = TemporaryDirectory()
    let folder = root.path + "/new/corrections"
    let store = try CorrectionStore(folder: folder)
    let saved = try store.add(input28: LearningTests.one, label: 1)
    #expect(Self.mode(root.path + "/new") == 0o700 && Self.mode(folder) == 0o700)
    #expect(Self.mode(folder + "/" + saved.file) == 0o600)
    #expect(Self.mode(folder + "/labels.csv") == 0o600)
  }

  /// labels.csv or a picture that is a symbolic link is refused by name, not read through.
  @Test func linksAreNotFollowed() throws {
    let root = TemporaryDirectory()
    let folder = root.path + "/corrections"
    let store = try CorrectionStore(folder: folder)
    try store.add(input28: LearningTests.one, label: 1)
    let fm = FileManager.default
    let csv = folder + "/labels.csv", picture = folder + "/c000001.png"
    try fm.moveItem(atPath: picture, toPath: root.path + "/elsewhere.png")
    try fm.createSymbolicLink(atPath: picture, withDestinationPath: root.path + "/elsewhere.png")
    #expect(Self.error(folder) == "\(picture): is a symbolic link (not followed)")
    try fm.moveItem(atPath: csv, toPath: root.path + "/elsewhere.csv")
    try fm.createSymbolicLink(atPath: csv, withDestinationPath: root.path + "/elsewhere.csv")
    #expect(Self.error(folder) == "\(csv): is a symbolic link (not followed)")
  }

  /// A labels.csv naming a picture numbered Int.max (someone else's folder, or a damaged
  /// one) is read, and the next correction gets a name of its own instead of the number
  /// overflowing.
  @Test func hugePictureNumberDoesNotOverflow() throws {
    let root = TemporaryDirectory()
    let folder = root.path + "/corrections"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try Data("file,label,time\nc9223372036854775807.png,7,t\nc99999999999999999999.png,1,t\n".utf8).write(
      to: URL(fileURLWithPath: folder + "/labels.csv"))
    let store = try CorrectionStore(folder: folder)
    #expect(store.count == 2)
    let saved = try store.add(input28: LearningTests.one, label: 1)
    #expect(saved.count == 3 && FileManager.default.fileExists(atPath: folder + "/" + saved.file), "\(saved)")
  }

  static func error(_ folder: String) -> String {
    do {
      _ = try CorrectionFolder.load(folder: folder)
      return "no error"
    } catch { return "\(error)" }
  }
}
