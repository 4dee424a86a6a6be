import DigitsCore
import Foundation

/// The class folders and picture files of an image folder (`ImageFolderDataset`), listed and
/// checked against the limits before anything is decoded.
struct ImageFolderListing {
  /// The training or the test half: every picture file with its class index.
  struct Part {
    let folder: String
    var files: [String] = []
    var labels: [Int] = []
    /// Each class folder of this part and its class index (a test part may lack some classes).
    var classFolders: [(path: String, label: Int)] = []
  }

  let classNames: [String]
  let training: Part
  let test: Part?
  /// One line per entry that cannot be used (unlistable folder, broken link, a pipe).
  private(set) var problems: [String] = []

  init(_ folder: String, limits: ImageFolderDataset.Limits) throws {
    guard Self.isFolder(folder) else { throw DigitsError.file(folder, "no such folder") }
    let top = try Self.subfolders(folder)
    let split = Set(top) == ["train", "test"]
    let trainingFolder = split ? Self.join(folder, "train") : folder
    let names = try Self.subfolders(trainingFolder)
    guard names.count >= 2 else {
      throw DigitsError.file(
        trainingFolder,
        "holds \(names.count) class folder\(names.count == 1 ? "" : "s"); expected one folder per class (at least 2), "
          + "each holding that class's pictures (DIR/<class>/*.png, or DIR/train/<class>/ and DIR/test/<class>/)")
    }
    guard names.count <= limits.maxClasses else {
      throw DigitsError.file(
        trainingFolder, "holds \(names.count) class folders, more than the \(limits.maxClasses) limit")
    }
    classNames = names
    var total = 0
    var problems: [String] = []
    func list(_ partFolder: String, classes: [String]) throws -> Part {
      var part = Part(folder: partFolder)
      for name in classes {
        guard let label = names.firstIndex(of: name) else {
          throw DigitsError.file(
            Self.join(partFolder, name), "class not among the training classes in \(trainingFolder)")
        }
        let classFolder = Self.join(partFolder, name)
        part.classFolders.append((classFolder, label))
        for entry in ImageFiles.walk(classFolder) {
          switch entry {
          case .file(let path):
            part.files.append(path)
            part.labels.append(label)
            total += 1
          case .problem(let path, let message): problems.append("\(path): \(message) (skipped)")
          }
        }
        // Checked class by class: a huge folder is refused before its whole listing is held.
        guard total <= limits.maxPictures else {
          throw DigitsError.file(folder, "holds more than the \(limits.maxPictures)-picture limit")
        }
      }
      return part
    }
    training = try list(trainingFolder, classes: names)
    test = try split ? list(Self.join(folder, "test"), classes: try Self.subfolders(Self.join(folder, "test"))) : nil
    self.problems = problems
  }

  static func join(_ folder: String, _ name: String) -> String {
    folder.hasSuffix("/") ? folder + name : folder + "/" + name
  }

  static func isFolder(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
  }

  /// The folders in `folder` (links to folders included), hidden ones skipped, sorted.
  static func subfolders(_ folder: String) throws -> [String] {
    guard let names = ImageFiles.list(folder) else {
      throw DigitsError.file(folder, "cannot list folder (\(String(cString: strerror(errno))))")
    }
    return names.filter { !$0.hasPrefix(".") && isFolder(join(folder, $0)) }.sorted()
  }
}
