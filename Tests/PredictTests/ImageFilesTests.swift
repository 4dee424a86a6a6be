import DigitsVision
import Foundation
import Testing
import _TestSupport

/// Walking the folders given to `digits predict`.
@Suite struct ImageFilesTests {
  /// A link to a folder above (a loop) is not followed, so the walk ends and each image is
  /// listed once; a link to an image file is read like the file, and one to nothing is named
  /// as a problem.
  @Test func linkedFoldersAreNotFollowed() throws {
    let folder = TemporaryDirectory()
    let fm = FileManager.default
    try fm.createDirectory(atPath: folder.path + "/sub", withIntermediateDirectories: false)
    for name in ["a.png", "sub/b.png"] { try Data([0]).write(to: URL(fileURLWithPath: folder.path + "/" + name)) }
    try fm.createSymbolicLink(atPath: folder.path + "/sub/loop", withDestinationPath: folder.path)
    try fm.createSymbolicLink(atPath: folder.path + "/c.png", withDestinationPath: folder.path + "/a.png")
    try fm.createSymbolicLink(atPath: folder.path + "/dangling.png", withDestinationPath: folder.path + "/none.png")
    let entries = ImageFiles.expand([folder.path])
    #expect(
      entries == [
        .file(folder.path + "/a.png"), .file(folder.path + "/c.png"),
        .problem(folder.path + "/dangling.png", "link to nothing readable (No such file or directory)"),
        .file(folder.path + "/sub/b.png"),
      ], "\(entries)")
  }

  /// An image name on a pipe is named as a problem, not opened (which would wait for a
  /// writer forever); this holds for root too, unlike a folder without permissions.
  @Test func pipeIsAProblemNotAFile() throws {
    let folder = TemporaryDirectory()
    try #require(mkfifo(folder.path + "/pipe.png", 0o600) == 0)
    try Data([0]).write(to: URL(fileURLWithPath: folder.path + "/z.png"))
    let entries = ImageFiles.expand([folder.path])
    #expect(
      entries == [
        .problem(folder.path + "/pipe.png", "not a regular file (a pipe, socket or device)"),
        .file(folder.path + "/z.png"),
      ], "\(entries)")
  }

  /// A folder that cannot be listed is named in a problem saying why, not taken for an empty
  /// one. Root reads every folder, so this is checked only when the tests run as another user.
  @Test func unreadableFolderIsNamed() throws {
    guard geteuid() != 0 else {
      print("unreadableFolderIsNamed: skipped as root, whom permissions do not stop (pipeIsAProblemNotAFile runs)")
      return
    }
    let folder = TemporaryDirectory()
    let locked = folder.path + "/locked"
    try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
    try Data([0]).write(to: URL(fileURLWithPath: folder.path + "/a.png"))
    chmod(locked, 0)
    defer { chmod(locked, 0o700) }
    let entries = ImageFiles.expand([folder.path])
    #expect(entries.first == .file(folder.path + "/a.png"))
    #expect(entries.dropFirst().first == .problem(locked, "cannot list folder (Permission denied)"), "\(entries)")
  }
}
