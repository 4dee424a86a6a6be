import DigitsCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The official EMNIST archive: every split's IDX files (gzipped) and mapping files in one zip.
public enum EMNISTArchive {
  public static let mirrors = ["https://biometrics.nist.gov/cs_links/EMNIST/"]
  public static let fileName = "gzip.zip"
  /// SHA-256 of the 561,753,746-byte gzip.zip as TensorFlow Datasets records it
  /// (tensorflow_datasets/url_checksums/emnist.txt); torchvision's EMNIST checks the same
  /// file by its MD5, 58c8d27c78d21e728a6bc7b3cc06412e.
  public static let sha256 = "fb9bb67e33772a9cc0b895e4ecf36d2cf35be8b709693c3564cea2a019fcda8e"
  /// Largest archive accepted: a little above the real one, so a mirror cannot fill the disk.
  public static let maxBytes = 600 << 20
}

/// Fetches the EMNIST archive (resuming, retrying, mirror by mirror, as `Downloader` does),
/// checks its SHA-256, and keeps only one split: its four IDX files and its mapping file are
/// copied out into `directory` and the archive is removed. The archive's partial file
/// (`.emnist-gzip.zip.part`) and the extracted files (`.emnist-<split>.part/`) wait beside
/// `directory` until they are complete, and each file is renamed into place, the mapping
/// last, so the folder never holds a half-written file and counts as present only when whole.
public struct EMNISTDownloader {
  public var split: EMNISTSplit
  public var directory: String
  public var sha256 = EMNISTArchive.sha256
  /// Mirrors and transfer settings (tries, delays, timeout, size limit); its files are unused.
  public var transfer: Downloader

  public init(split: EMNISTSplit, directory: String, mirrors: [URL]) {
    self.split = split
    self.directory = directory
    let parent = (directory as NSString).deletingLastPathComponent
    transfer = Downloader(source: DatasetSource(kind: .mnist, files: [], mirrors: mirrors), directory: parent)
    transfer.maxBytes = Int64(EMNISTArchive.maxBytes)
  }

  /// The split's file names in the archive and in `directory`, the mapping last.
  var fileNames: [String] { split.fileStems.map { $0 + ".gz" } + [split.mappingFile] }

  /// Fetches and extracts unless the folder already holds the split. Returns the folder.
  @discardableResult
  public func run(events: (DownloadEvent) -> Void = { _ in }) throws -> String {
    if fileNames.allSatisfy({ FileManager.default.fileExists(atPath: inFolder($0)) }) {
      events(.present(folder: directory))
      return directory
    }
    let parent = transfer.directory
    do {
      try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
    } catch {
      throw DigitsError.file(parent, "cannot create folder")
    }
    guard !transfer.source.mirrors.isEmpty else { throw DigitsError("no mirrors to download from") }
    let archive = transfer.path(".emnist-\(EMNISTArchive.fileName).part")
    let expected = sha256
    _ = try transfer.fetchChecked(
      name: EMNISTArchive.fileName, part: archive,
      verify: { Downloader.verify(path: $0, sha256: expected, limit: EMNISTArchive.maxBytes) }, events: events)
    try extract(archive: archive, events: events)
    try? FileManager.default.removeItem(atPath: archive)
    return directory
  }

  func inFolder(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

  /// Copies the split's files out of the checked archive and renames them into `directory`.
  func extract(archive: String, events: (DownloadEvent) -> Void) throws {
    let staging = transfer.path(".\(split.datasetName).part")
    try? FileManager.default.removeItem(atPath: staging)
    do {
      try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw DigitsError.file(directory, "cannot create folder")
    }
    defer { try? FileManager.default.removeItem(atPath: staging) }
    let zip = try ZipEntries(path: archive)
    defer { zip.close() }
    for name in fileNames {
      try zip.extract(
        name, to: (staging as NSString).appendingPathComponent(name), limit: Int64(EMNISTArchive.maxBytes))
    }
    for name in fileNames {
      let final = inFolder(name)
      guard rename((staging as NSString).appendingPathComponent(name), final) == 0 else {
        throw DigitsError.file(final, "cannot rename into place (\(String(cString: strerror(errno))))")
      }
      events(.installed(file: name, path: final))
    }
  }
}
