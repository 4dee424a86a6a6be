import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Writes whole files so that a crash, a SIGKILL, a power cut or a full disk never leaves
/// half a file under the real name: the bytes go to `.<name>.<pid>.tmp` in the same folder,
/// then a rename swaps it in. A reader sees the old file or the new one, never a mix.
///
/// Durability, in order:
/// 1. the temporary is created with O_EXCL|O_NOFOLLOW (never opens what someone else put
///    there: an existing file or a symlink makes the write fail instead of following it);
/// 2. fsync(file) before the rename, so the name can only ever point at complete bytes;
/// 3. rename, then fsync(folder), so the new name itself survives a power cut.
/// The folder is synced after the rename only: syncing it before would make just the
/// temporary's name durable, which no reader opens; losing that name loses nothing. A folder
/// this write creates is made durable by syncing its parent.
///
/// A killed run leaves its temporary behind; the next write of the same file removes every
/// `.<name>.<pid>.tmp` whose process is gone (or is this process: writes in one process are
/// serialised, so a temporary with our own pid is from an earlier process with the same pid).
public enum AtomicFile {
  /// One writer at a time in this process, so our own pid's temporary is never in use.
  static let lock = NSLock()

  /// Test hook: with `DIGITS_TEST_WRITE_PAUSE_MS=N` set, `write(_:to:)` writes the first half
  /// of the bytes, says so on stderr, and sleeps N ms before the rest, so a test can SIGKILL a
  /// process in the middle of a write (`DIGITS_TEST_WRITE_PAUSE_FILE=name` limits it to files
  /// of that name). Unset, as always outside tests, it does nothing.
  static let testPause: (milliseconds: UInt32, name: String?)? = {
    let environment = ProcessInfo.processInfo.environment
    return environment["DIGITS_TEST_WRITE_PAUSE_MS"].flatMap(UInt32.init).map {
      ($0, environment["DIGITS_TEST_WRITE_PAUSE_FILE"])
    }
  }()

  /// The temporary file being written; `append` writes every byte or throws.
  public struct Temporary {
    let descriptor: Int32
    public let path: String

    public func append(_ data: Data) throws {
      try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
        var offset = 0
        while offset < raw.count {
          let n = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
          if n < 0 {
            if errno == EINTR { continue }
            throw DigitsError.file(path, "cannot write (\(String(cString: strerror(errno))))")
          }
          offset += n
        }
      }
    }
  }

  /// `mode`: the new file's permissions (less the umask).
  public static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
    try write(to: path, mode: mode) { file in
      guard let pause = testPause, pause.name == nil || pause.name == URL(fileURLWithPath: path).lastPathComponent,
        data.count > 1
      else { return try file.append(data) }
      try file.append(data.prefix(data.count / 2))
      FileHandle.standardError.write(Data("digits-test: paused writing \(path)\n".utf8))
      usleep(pause.milliseconds * 1000)
      try file.append(data.suffix(from: data.startIndex + data.count / 2))
    }
  }

  /// Writes whatever `body` appends; if `body` throws, the temporary is removed, the file at
  /// `path` is left as it was, and the error is passed on.
  public static func write(to path: String, mode: mode_t = 0o644, _ body: (Temporary) throws -> Void) throws {
    lock.lock()
    defer { lock.unlock() }
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    let name = url.lastPathComponent
    try makeFolder(folder)
    removeLeftovers(of: name, in: folder)
    let temp = (folder as NSString).appendingPathComponent(".\(name).\(getpid()).tmp")
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
    guard fd >= 0 else {
      throw DigitsError.file(temp, "cannot create temporary file (\(String(cString: strerror(errno))))")
    }
    do {
      try body(Temporary(descriptor: fd, path: temp))
      guard fsync(fd) == 0 else { throw DigitsError.file(path, "cannot write (\(String(cString: strerror(errno))))") }
    } catch {
      close(fd)
      unlink(temp)
      throw error
    }
    guard close(fd) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temp)
      throw DigitsError.file(path, "cannot write (\(reason))")
    }
    guard rename(temp, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temp)
      throw DigitsError.file(path, "cannot replace file (\(reason))")
    }
    try syncFolder(folder, for: path)
  }

  /// Creates `folder` if it is missing, and syncs its parent so the new folder survives too.
  static func makeFolder(_ folder: String) throws {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue { return }
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      throw DigitsError.file(folder, "cannot create folder")
    }
    try syncFolder((folder as NSString).deletingLastPathComponent, for: folder)
  }

  /// fsync on the folder itself: makes the names in it (a rename's result) durable.
  /// EINVAL means the file system has no such thing to sync (some network file systems).
  static func syncFolder(_ folder: String, for path: String) throws {
    let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else {
      throw DigitsError.file(folder, "cannot open folder to sync it (\(String(cString: strerror(errno))))")
    }
    defer { close(fd) }
    if fsync(fd) != 0, errno != EINVAL {
      throw DigitsError.file(path, "written, but its folder could not be synced (\(String(cString: strerror(errno))))")
    }
  }

  /// Removes `.<name>.<pid>.tmp` files left by processes that are gone (or by an earlier
  /// process that had our pid). Temporaries of other live processes are left alone.
  static func removeLeftovers(of name: String, in folder: String) {
    let prefix = ".\(name).", suffix = ".tmp"
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
    for entry in entries
    where entry.hasPrefix(prefix) && entry.hasSuffix(suffix) && entry.count > prefix.count + suffix.count {
      guard let pid = Int32(entry.dropFirst(prefix.count).dropLast(suffix.count)), pid > 0 else { continue }
      if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) {
        unlink((folder as NSString).appendingPathComponent(entry))
      }
    }
  }
}
