import DigitsCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What the downloader is doing, for a progress display.
public enum DownloadEvent: Sendable, Equatable {
  /// A file already in the folder passed the SHA-256 check; nothing to fetch.
  case verified(file: String)
  /// A data set unpacked from an archive is already whole in its folder; nothing to fetch.
  case present(folder: String)
  /// A file in the folder failed the check and will be fetched again.
  case badCopy(file: String)
  /// A request begins; `offset` > 0 when it resumes a partial file.
  case started(file: String, mirror: URL, offset: Int64)
  case progress(file: String, received: Int64, expected: Int64?)
  /// One try failed; the downloader goes on with the same mirror or the next.
  case failed(file: String, mirror: URL, reason: String)
  /// The file passed the check and is in the folder under `path`.
  case installed(file: String, path: String)
}

/// Fetches a data set's four files into a folder: each from the mirrors in turn, resuming
/// a partial file, retrying transient failures, checking the SHA-256 of the uncompressed
/// bytes, and renaming into place only a file that passed. A partial file lives beside
/// the real one as `.<name>.part` until then, so an interrupted run never leaves a bad file
/// under a real name and the next run continues where it stopped.
public struct Downloader {
  public var source: DatasetSource
  public var directory: String
  /// Tries per mirror for transient failures (dropped connection, timeout, HTTP 5xx).
  public var attemptsPerMirror = 3
  /// Seconds before a retry on the same mirror, times the attempt number.
  public var retryDelay: TimeInterval = 1
  /// Seconds without data before a request is given up.
  public var timeout: TimeInterval = 30
  /// Most bytes one file may take; a mirror that sends more is cut off and skipped.
  public var maxBytes = Downloader.maxDownloadBytes

  public init(source: DatasetSource, directory: String) {
    self.source = source
    self.directory = directory
  }

  /// Fetches every file that is missing or bad. Throws one line per failed file when no
  /// mirror gave a good copy.
  @discardableResult
  public func run(events: (DownloadEvent) -> Void = { _ in }) throws -> DatasetFolder {
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw DigitsError.file(directory, "cannot create folder")
    }
    guard !source.mirrors.isEmpty else { throw DigitsError("no mirrors to download from") }
    for file in source.files {
      try fetch(file, events: events)
    }
    return DatasetFolder(path: directory, kind: source.kind)
  }

  func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

  func fetch(_ file: DatasetSource.File, events: (DownloadEvent) -> Void) throws {
    let existing = [file.stem, file.stem + ".gz"].map(path).filter { FileManager.default.fileExists(atPath: $0) }
    if let present = existing.first {
      if case .success = Self.verify(path: present, sha256: file.sha256) {
        events(.verified(file: file.stem))
        return
      }
      events(.badCopy(file: file.stem))
    }

    let name = file.stem + ".gz"
    let part = path("." + name + ".part")
    let gzipped = try fetchChecked(
      name: name, part: part, verify: { Self.verify(path: $0, sha256: file.sha256) }, events: events)
    try install(part: part, stem: file.stem, gzipped: gzipped, events: events)
  }

  /// Fetches `name` from each mirror in turn into `part` (resuming what is there, retrying
  /// transient failures) until `verify` accepts the file; returns whether it was gzipped.
  /// Throws one line naming each mirror's failure when none gave a good copy.
  func fetchChecked(name: String, part: String, verify: (String) -> Check, events: (DownloadEvent) -> Void) throws
    -> Bool
  {
    var failures: [String] = []
    for mirror in source.mirrors {
      let url = mirror.appendingPathComponent(name)
      var attempt = 0
      var freshAfterMismatch = false
      tries: while attempt < attemptsPerMirror {
        attempt += 1
        let offset = Self.size(part)
        events(.started(file: name, mirror: mirror, offset: offset))
        let transfer = HTTPTransfer(url: url, path: part, timeout: timeout, maxBytes: maxBytes)
        let outcome = transfer.run {
          let p = transfer.progress
          events(.progress(file: name, received: p.received, expected: p.expected))
        }
        switch outcome {
        case .complete:
          switch verify(part) {
          case .success(let gzipped):
            return gzipped
          case .failure(let reason):
            try? FileManager.default.removeItem(atPath: part)
            events(.failed(file: name, mirror: mirror, reason: reason))
            // A resumed file may have started from a stale partial: one fresh try.
            if offset > 0 && !freshAfterMismatch {
              freshAfterMismatch = true
              attempt -= 1
              continue tries
            }
            failures.append("\(mirror.absoluteString): \(reason)")
            break tries
          }
        case .transient(let reason):
          events(.failed(file: name, mirror: mirror, reason: reason))
          if attempt == attemptsPerMirror {
            failures.append("\(mirror.absoluteString): \(reason) (\(attempt) tries)")
          } else if retryDelay > 0 {
            Thread.sleep(forTimeInterval: retryDelay * Double(attempt))
          }
        case .failed(let reason):
          events(.failed(file: name, mirror: mirror, reason: reason))
          failures.append("\(mirror.absoluteString): \(reason)")
          break tries
        case .tooLarge(let reason):
          // Nothing worth resuming: the next try would only grow the same bad file.
          try? FileManager.default.removeItem(atPath: part)
          events(.failed(file: name, mirror: mirror, reason: reason))
          failures.append("\(mirror.absoluteString): \(reason)")
          break tries
        }
      }
    }
    let keep = Self.size(part) > 0 ? " (partial file kept; run again to resume)" : ""
    if keep.isEmpty { try? FileManager.default.removeItem(atPath: part) }
    throw DigitsError.file(path(name), "no mirror gave a good copy: \(failures.joined(separator: "; "))\(keep)")
  }

  /// Renames the checked partial file into place and removes any other copy of the same
  /// file (a bad raw file would otherwise shadow the new .gz).
  func install(part: String, stem: String, gzipped: Bool, events: (DownloadEvent) -> Void) throws {
    let final = path(gzipped ? stem + ".gz" : stem)
    guard rename(part, final) == 0 else {
      throw DigitsError.file(final, "cannot rename \(part) into place (\(String(cString: strerror(errno))))")
    }
    let other = path(gzipped ? stem : stem + ".gz")
    if FileManager.default.fileExists(atPath: other) { try? FileManager.default.removeItem(atPath: other) }
    events(.installed(file: stem, path: final))
  }

  static func size(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
  }

  enum Check: Equatable {
    /// The bytes match; true when they were gzipped.
    case success(gzipped: Bool)
    case failure(String)
  }

  /// Largest file a mirror may send: a raw IDX file at its size limit (a gzipped one is
  /// smaller). A larger body is cut off and the mirror counted as bad.
  public static let maxDownloadBytes = Int64(IDX.maxFileBytes)

  /// Checks the SHA-256 of a file's uncompressed contents, streaming: memory is two small
  /// buffers, and a file (or gzip stream) longer than `limit` fails the check.
  static func verify(path: String, sha256 expected: String, limit: Int = IDX.maxFileBytes) -> Check {
    guard let file = try? InputFile(path: path), let (gzipped, read) = try? file.contents() else {
      return .failure("cannot read \(path)")
    }
    var hash = SHA256()
    var total = 0
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { chunk.deallocate() }
    do {
      while true {
        let n = try read(chunk)
        if n == 0 { break }
        total += n
        guard total <= limit else { return .failure("more than \(limit) bytes uncompressed") }
        hash.update(bytes: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
        if n < chunk.count { break }
      }
    } catch {
      return .failure(gzipped ? "corrupt gzip data" : "cannot read \(path)")
    }
    let actual = hash.finalize().map { String(format: "%02x", $0) }.joined()
    guard actual == expected.lowercased() else {
      return .failure("SHA-256 mismatch (got \(actual.prefix(12))..., expected \(expected.prefix(12))...)")
    }
    return .success(gzipped: gzipped)
  }
}
