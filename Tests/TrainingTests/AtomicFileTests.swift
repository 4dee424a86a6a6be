import DigitsCore
import Foundation
import Testing
import _TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// What a killed writer leaves behind, and what a writer must never follow.
@Suite struct AtomicFileTests {
  let dir = TemporaryDirectory()

  func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() }

  /// A pid no process can have: above the kernel's pid_max.
  static let deadPid: Int = {
    let text = (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8)) ?? "4194304"
    return (Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 4_194_304) + 1
  }()

  /// The next write of a file removes the temporaries that dead writers of that file left;
  /// a live process's temporary and other files' temporaries stay.
  @Test func nextWriteRemovesLeftoversOfDeadWriters() throws {
    let path = dir.path + "/m.safetensors"
    let dead = ".m.safetensors.\(Self.deadPid).tmp"
    let live = ".m.safetensors.1.tmp"  // pid 1 is alive wherever this runs
    let other = ".n.safetensors.\(Self.deadPid).tmp"
    for name in [dead, live, other] {
      #expect(FileManager.default.createFile(atPath: dir.path + "/" + name, contents: Data([1, 2])))
    }
    try AtomicFile.write(Data("new".utf8), to: path)
    #expect(try names() == [live, other, "m.safetensors"].sorted())
    #expect(FileManager.default.contents(atPath: path) == Data("new".utf8))
  }

  /// A symlink planted at this process's temporary name is removed, not followed: the file
  /// it points to is untouched.
  @Test func plantedSymlinkIsNotFollowed() throws {
    let victim = dir.path + "/victim"
    #expect(FileManager.default.createFile(atPath: victim, contents: Data("keep".utf8)))
    let path = dir.path + "/m.safetensors"
    try FileManager.default.createSymbolicLink(
      atPath: dir.path + "/.m.safetensors.\(getpid()).tmp", withDestinationPath: victim)
    try AtomicFile.write(Data("model".utf8), to: path)
    #expect(FileManager.default.contents(atPath: victim) == Data("keep".utf8))
    #expect(FileManager.default.contents(atPath: path) == Data("model".utf8))
    #expect(try names() == ["m.safetensors", "victim"])
  }

  /// Writes into a folder that does not exist yet create it.
  @Test func missingFolderIsCreated() throws {
    let path = dir.path + "/a/b/m.bin"
    try AtomicFile.write(Data([7]), to: path)
    #expect(FileManager.default.contents(atPath: path) == Data([7]))
  }
}
