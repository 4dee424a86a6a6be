import DigitsCore
import DigitsDownload
import Foundation
import Testing
import _TestSupport

/// `digits download --dataset emnist-<split>` against a small archive in the official layout
/// (gzip/emnist-<split>-....gz and mapping files), served from 127.0.0.1: never NIST.
@Suite struct EMNISTDownloadTests {
  /// Writes `gzip.zip` into a new folder: Letters (3 training images, 1 test image, the
  /// 26-line mapping) and Digits' mapping, which a Letters download must leave out.
  static func archive() throws -> (folder: TemporaryDirectory, sha256: String) {
    let dir = TemporaryDirectory()
    let files = dir.path + "/files"
    try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
    for (part, labels) in [("train", [UInt8]([1, 26, 3])), ("test", [2])] {
      let images = (0..<(labels.count * 784)).map { UInt8($0 % 251) }
      let stem = "\(files)/emnist-letters-\(part)"
      try IDX.encode(dimensions: [labels.count, 28, 28], bytes: images).write(
        to: URL(fileURLWithPath: stem + "-images-idx3-ubyte"))
      try IDX.encode(dimensions: [labels.count], bytes: labels).write(
        to: URL(fileURLWithPath: stem + "-labels-idx1-ubyte"))
    }
    let letters = (1...26).map { "\($0) \(64 + $0) \(96 + $0)" }.joined(separator: "\n") + "\n"
    try letters.write(toFile: files + "/emnist-letters-mapping.txt", atomically: true, encoding: .utf8)
    try (0...9).map { "\($0) \(48 + $0)" }.joined(separator: "\n").write(
      toFile: files + "/emnist-digits-mapping.txt", atomically: true, encoding: .utf8)
    // The IDX files gzipped, every file under gzip/ as in NIST's archive.
    let script = """
      import gzip, os, sys, zipfile
      files, out = sys.argv[1], sys.argv[2]
      with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
          for name in sorted(os.listdir(files)):
              data = open(os.path.join(files, name), "rb").read()
              if "idx" in name:
                  data, name = gzip.compress(data), name + ".gz"
              z.writestr("gzip/" + name, data)
      """
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script, files, dir.path + "/gzip.zip"]
    try p.run()
    p.waitUntilExit()
    try #require(p.terminationStatus == 0, "python3 could not write the archive")
    let data = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/gzip.zip"))
    return (dir, SHA256.hex(data))
  }

  func downloader(_ directory: String, _ mirrors: [URL], sha256: String) -> EMNISTDownloader {
    var d = EMNISTDownloader(split: .letters, directory: directory, mirrors: mirrors)
    d.sha256 = sha256
    d.transfer.retryDelay = 0
    d.transfer.timeout = HangGuard.seconds  // the local mirror answers at once; only a hang is caught
    return d
  }

  static let letterFiles = [
    "emnist-letters-mapping.txt", "emnist-letters-test-images-idx3-ubyte.gz",
    "emnist-letters-test-labels-idx1-ubyte.gz",
    "emnist-letters-train-images-idx3-ubyte.gz", "emnist-letters-train-labels-idx1-ubyte.gz",
  ]

  /// Fetched past a mirror that is down, checked, only Letters copied out, the archive
  /// removed; a second run finds the folder whole and fetches nothing.
  @Test func fetchesChecksAndKeepsOnlyTheSplitAskedFor() throws {
    let (served, sha256) = try Self.archive()
    let mirror = try LocalMirror(root: served.path)
    let cache = TemporaryDirectory()
    let folder = cache.path + "/emnist-letters"
    try downloader(folder, [mirror.downURL, mirror.url("good")], sha256: sha256).run()
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == Self.letterFiles)
    #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path) == ["emnist-letters"])
    let set = try EMNIST.load(folder: folder, split: .letters)
    #expect(set.training.labels == [0, 25, 2].map { LabeledImages.Label($0) } && set.test?.count == 1)
    // Transposed back: upright pixel (row 0, column 1) is stored byte 28.
    #expect(set.training.images[1] == 28)

    var events: [DownloadEvent] = []
    try downloader(folder, [mirror.url("good")], sha256: sha256).run { events.append($0) }
    #expect(events == [.present(folder: folder)])
    #expect(mirror.log.count == 1)
  }

  /// An archive that does not match the digest is removed and nothing is installed.
  @Test func wrongDigestInstallsNothing() throws {
    let (served, _) = try Self.archive()
    let mirror = try LocalMirror(root: served.path)
    let cache = TemporaryDirectory()
    let wrong = String(repeating: "0", count: 64)
    let error = #expect(throws: DigitsError.self) {
      try downloader(cache.path + "/emnist-letters", [mirror.url("good")], sha256: wrong).run()
    }
    #expect(error?.description.contains("SHA-256 mismatch") == true, "\(error!)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).isEmpty)
  }

  /// The command checks the built-in digest of NIST's archive, which the test archive fails:
  /// one error line, non-zero exit, nothing written.
  @Test(.enabled(if: DownloadCommandTests.executable != nil || TestEnvironment.isCI))
  func commandChecksTheBuiltInDigest() throws {
    let (served, _) = try Self.archive()
    let mirror = try LocalMirror(root: served.path)
    let cache = TemporaryDirectory()
    let r = try DownloadCommandTests.digits([
      "download", "--dataset", "emnist-letters", "--to", cache.path + "/emnist-letters", "--mirror",
      mirror.url("good").absoluteString,
    ])
    #expect(r.status != 0)
    #expect(r.stderr.contains("gzip.zip: \(mirror.url("good").absoluteString): SHA-256 mismatch"), "\(r.stderr)")
    #expect(r.stderr.contains("expected \(EMNISTArchive.sha256.prefix(12))"), "\(r.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).isEmpty)
    #expect(mirror.log == ["/good/gzip.zip -"])
  }
}
