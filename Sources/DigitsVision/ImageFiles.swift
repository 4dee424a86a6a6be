import DigitsCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Finds the image files named on a command line: files as given, folders walked
/// recursively (sorted, hidden entries skipped) for known image extensions.
public enum ImageFiles {
  public static let extensions: Set<String> = [
    "png", "jpg", "jpeg", "jpe", "bmp", "gif", "pgm", "ppm", "pnm", "webp", "heic", "heif",
  ]

  public enum Entry: Equatable, Sendable {
    case file(String)
    /// A path that cannot be used (missing, empty folder), with the message.
    case problem(String, String)
  }

  public static func expand(_ paths: [String]) -> [Entry] {
    var out: [Entry] = []
    let fm = FileManager.default
    for path in paths {
      var isDirectory: ObjCBool = false
      guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
        out.append(.problem(path, "no such file or folder"))
        continue
      }
      guard isDirectory.boolValue else {
        out.append(.file(path))
        continue
      }
      let found = walk(path)
      if found.isEmpty {
        out.append(
          .problem(path, "folder holds no images (looked for .\(extensions.sorted().joined(separator: ", ."))"))
      }
      out += found
    }
    return out
  }

  /// The images under `folder`, and a problem for each entry that cannot be listed or
  /// looked at (permission denied, say). Links to folders are not followed (a link to a
  /// folder above it would never end); links to files are read like files. An image name
  /// on a pipe or device is a problem, not a file: opening a pipe waits for a writer.
  static func walk(_ folder: String) -> [Entry] {
    guard let names = list(folder) else {
      return [.problem(folder, "cannot list folder (\(String(cString: strerror(errno))))")]
    }
    var out: [Entry] = []
    for name in names.sorted() where !name.hasPrefix(".") {
      let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
      var info = stat()
      guard lstat(path, &info) == 0 else {
        out.append(.problem(path, "cannot be looked at (\(String(cString: strerror(errno))))"))
        continue
      }
      switch info.st_mode & S_IFMT {
      case S_IFDIR:
        out += walk(path)
      case S_IFLNK:
        guard isImage(name) else { continue }
        var target = stat()
        if stat(path, &target) != 0 {
          out.append(.problem(path, "link to nothing readable (\(String(cString: strerror(errno))))"))
        } else if target.st_mode & S_IFMT == S_IFREG {
          out.append(.file(path))
        }
      case S_IFREG:
        if isImage(name) { out.append(.file(path)) }
      default:
        if isImage(name) { out.append(.problem(path, "not a regular file (a pipe, socket or device)")) }
      }
    }
    return out
  }

  static func isImage(_ name: String) -> Bool { extensions.contains((name as NSString).pathExtension.lowercased()) }

  /// The names in `folder` but "." and "..", or nil with errno set.
  static func list(_ folder: String) -> [String]? {
    guard let stream = opendir(folder) else { return nil }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }
}
