import DigitsCore
import DigitsDownload
import Foundation
import Testing
import _TestSupport

/// The downloader against a local server only (127.0.0.1): never a real mirror.
@Suite struct DownloaderTests {
  static let labels = "t10k-labels-idx1-ubyte"

  /// Only the small test-label file, with its built-in sum: quick, and enough for every path.
  func labelsOnly(_ mirrors: [URL]) -> DatasetSource {
    var source = DatasetSource.builtIn(.mnist)
    source.files = source.files.filter { $0.stem == Self.labels }
    source.mirrors = mirrors
    return source
  }

  func downloader(_ source: DatasetSource, _ dir: TemporaryDirectory) -> Downloader {
    var d = Downloader(source: source, directory: dir.path + "/data")
    d.retryDelay = 0
    d.timeout = HangGuard.seconds  // the local mirror answers at once; only a hang is caught
    return d
  }

  func files(_ dir: TemporaryDirectory) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir.path + "/data")) ?? []).sorted()
  }

  @Test func allFourFilesPassTheBuiltInSums() throws {
    let mirror = try LocalMirror(root: TestData.mnistPath)
    let dir = TemporaryDirectory()
    var source = DatasetSource.builtIn(.mnist)
    source.mirrors = [mirror.url("good")]
    let folder = try downloader(source, dir).run()
    #expect(files(dir) == DatasetFolder.fileStems.map { $0 + ".gz" }.sorted())
    let test = try folder.loadTest()
    #expect(test.count == 10_000)
  }

  @Test func skipsADownMirrorAndACorruptOne() throws {
    let mirror = try LocalMirror(root: TestData.mnistPath)
    let dir = TemporaryDirectory()
    let source = labelsOnly([mirror.downURL, mirror.url("corrupt"), mirror.url("good")])
    var events: [DownloadEvent] = []
    try downloader(source, dir).run { if case .progress = $0 {} else { events.append($0) } }
    let failures = events.compactMap { e -> String? in
      if case .failed(_, let url, let reason) = e { return "\(url.path) \(reason)" } else { return nil }
    }
    #expect(failures.count == 2)
    #expect(failures.first?.contains("connection refused") == true)
    #expect(failures.last?.hasPrefix("/corrupt SHA-256 mismatch") == true, "\(failures)")
    #expect(events.last == .installed(file: Self.labels, path: dir.path + "/data/\(Self.labels).gz"))
    #expect(files(dir) == [Self.labels + ".gz"])
  }

  /// A mirror that sends more than a data set file can hold is cut off and skipped, and
  /// nothing of it stays on disk (not even a partial file to resume).
  @Test func oversizedBodyIsCutOffAndRemoved() throws {
    let mirror = try LocalMirror(root: TestData.mnistPath)
    let dir = TemporaryDirectory()
    var d = downloader(labelsOnly([mirror.url("good"), mirror.url("norange"), mirror.url("nolength")]), dir)
    d.maxBytes = 1000
    var reasons: [String] = []
    let error = #expect(throws: DigitsError.self) {
      try d.run { if case .failed(_, _, let reason) = $0 { reasons.append(reason) } }
    }
    #expect(reasons.count == 3 && reasons.allSatisfy { $0.contains("more than 1000") }, "\(reasons)")
    // Two announce their length and are refused at once; the third is cut off as it streams.
    #expect(reasons.last == "sends more than 1000 bytes", "\(reasons)")
    #expect(error?.description.contains("partial file kept") == false)
    #expect(files(dir).isEmpty)
    #expect(Downloader.maxDownloadBytes == Int64(IDX.maxFileBytes))
  }

  @Test func noGoodMirrorLeavesNoFileAndNamesEachMirror() throws {
    let mirror = try LocalMirror(root: TestData.mnistPath)
    let dir = TemporaryDirectory()
    let source = labelsOnly([mirror.downURL, mirror.url("corrupt"), mirror.url("missing"), mirror.url("error500")])
    var d = downloader(source, dir)
    d.attemptsPerMirror = 2
    do {
      try d.run()
      Issue.record("expected an error")
    } catch let error as DigitsError {
      let text = error.description
      #expect(text.contains("no mirror gave a good copy"))
      #expect(text.contains("connection refused"))
      #expect(text.contains("SHA-256 mismatch"))
      #expect(text.contains("HTTP 404"))
      #expect(text.contains("HTTP 500 (2 tries)"))
      #expect(!text.contains("\n"))
    }
    #expect(files(dir).isEmpty)
    #expect(mirror.log.filter { $0.hasPrefix("/error500/") }.count == 2)
  }

  @Test func resumesAfterADroppedConnection() throws {
    let mirror = try LocalMirror(root: TestData.mnistPath)
    let dir = TemporaryDirectory()
    var offsets: [Int64] = []
    try downloader(labelsOnly([mirror.url("drop")]), dir).run {
      if case .started(_, _, let offset) = $0 { offsets.append(offset) }
    }
    let size = try #require(
      FileManager.default.attributesOfItem(atPath: TestData.mnistPath + "/\(Self.labels).gz")[.size] as? Int)
    #expect(offsets == [0, Int64(size / 2)])
    #expect(mirror.log == ["/drop/\(Self.labels).gz -", "/drop/\(Self.labels).gz bytes=\(size / 2)-"])
    #expect(files(dir) == [Self.labels + ".gz"])
  }

  @Test func resumesAPartialFileLeftByAnEarlierRun() throws {
    let mirror = try LocalMirror(root: TestData.mnistPath)
    let dir = TemporaryDirectory()
    let whole = try Data(contentsOf: URL(fileURLWithPath: TestData.mnistPath + "/\(Self.labels).gz"))
    try FileManager.default.createDirectory(atPath: dir.path + "/data", withIntermediateDirectories: true)
    try whole.prefix(1000).write(to: URL(fileURLWithPath: dir.path + "/data/.\(Self.labels).gz.part"))
    try downloader(labelsOnly([mirror.url("good")]), dir).run()
    #expect(mirror.log == ["/good/\(Self.labels).gz bytes=1000-"])
    #expect(files(dir) == [Self.labels + ".gz"])
  }

  @Test func aStalePartialFileIsFetchedAgainFromTheStart() throws {
    let mirror = try LocalMirror(root: TestData.mnistPath)
    let dir = TemporaryDirectory()
    try FileManager.default.createDirectory(atPath: dir.path + "/data", withIntermediateDirectories: true)
    try Data(repeating: 0x1F, count: 700).write(to: URL(fileURLWithPath: dir.path + "/data/.\(Self.labels).gz.part"))
    try downloader(labelsOnly([mirror.url("good")]), dir).run()
    #expect(mirror.log == ["/good/\(Self.labels).gz bytes=700-", "/good/\(Self.labels).gz -"])
    #expect(files(dir) == [Self.labels + ".gz"])
  }

  @Test func aServerIgnoringRangeRestartsTheFile() throws {
    let mirror = try LocalMirror(root: TestData.mnistPath)
    let dir = TemporaryDirectory()
    let whole = try Data(contentsOf: URL(fileURLWithPath: TestData.mnistPath + "/\(Self.labels).gz"))
    try FileManager.default.createDirectory(atPath: dir.path + "/data", withIntermediateDirectories: true)
    try whole.prefix(1000).write(to: URL(fileURLWithPath: dir.path + "/data/.\(Self.labels).gz.part"))
    try downloader(labelsOnly([mirror.url("norange")]), dir).run()
    #expect(mirror.log.count == 1)
    let got = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/data/\(Self.labels).gz"))
    #expect(got == whole)
  }

  @Test func goodFilesAlreadyThereAreKeptAndBadOnesReplaced() throws {
    let mirror = try LocalMirror(root: TestData.mnistPath)
    let dir = TemporaryDirectory()
    let d = downloader(labelsOnly([mirror.url("good")]), dir)
    try d.run()
    var events: [DownloadEvent] = []
    try d.run { events.append($0) }
    #expect(events == [.verified(file: Self.labels)])
    #expect(mirror.log.count == 1)

    // A wrong raw copy would shadow the .gz: it is replaced by a checked .gz.
    try Data("not idx".utf8).write(to: URL(fileURLWithPath: dir.path + "/data/\(Self.labels)"))
    events = []
    try d.run { if case .progress = $0 {} else { events.append($0) } }
    #expect(events.first == .badCopy(file: Self.labels))
    #expect(files(dir) == [Self.labels + ".gz"])
  }

  @Test func mirrorListPrecedence() throws {
    let env = [DatasetSource.mirrorsVariable: "http://127.0.0.1:9/a, http://127.0.0.1:9/b/"]
    #expect(
      try DatasetSource.mirrors(options: [], kind: .mnist, environment: env).map(\.absoluteString)
        == ["http://127.0.0.1:9/a/", "http://127.0.0.1:9/b/"])
    #expect(
      try DatasetSource.mirrors(options: ["http://127.0.0.1:9/c"], kind: .mnist, environment: env).map(\.absoluteString)
        == ["http://127.0.0.1:9/c/"])
    #expect(try DatasetSource.mirrors(options: [], kind: .fashion, environment: [:]).count == 2)
    #expect(throws: DigitsError.self) {
      try DatasetSource.mirrors(options: ["ftp://x/"], kind: .mnist, environment: [:])
    }
  }

  @Test func builtInSumsMatchTheSharedSumsFile() throws {
    let text = try String(contentsOfFile: TestData.mnistPath + "/SHA256SUMS.uncompressed", encoding: .utf8)
    var expected: [String: String] = [:]
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: " ", omittingEmptySubsequences: true)
      expected[String(parts[1])] = String(parts[0])
    }
    for file in DatasetSource.builtIn(.mnist).files { #expect(expected[file.stem] == file.sha256) }
  }

  /// Needs Debian's dataset-fashion-mnist: skipped without it, except on CI, where it fails.
  @Test(
    .enabled(
      if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")
        || TestEnvironment.isCI))
  func fashionSumsMatchDebiansFiles() throws {
    let file = try #require(DatasetSource.builtIn(.fashion).files.first { $0.stem == Self.labels })
    let gz = try Data(contentsOf: URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist/\(Self.labels).gz"))
    #expect(SHA256.hex(try Gzip.decompress(gz, path: "labels", limit: 1 << 20)) == file.sha256)
  }
}
