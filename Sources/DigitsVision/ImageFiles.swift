import DigitsCore
import Foundation

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
      out += found.map { .file($0) }
    }
    return out
  }

  static func walk(_ folder: String) -> [String] {
    let fm = FileManager.default
    guard let names = try? fm.contentsOfDirectory(atPath: folder) else { return [] }
    var out: [String] = []
    for name in names.sorted() where !name.hasPrefix(".") {
      let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
      var isDirectory: ObjCBool = false
      guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
      if isDirectory.boolValue {
        out += walk(path)
      } else if extensions.contains((name as NSString).pathExtension.lowercased()) {
        out.append(path)
      }
    }
    return out
  }
}
