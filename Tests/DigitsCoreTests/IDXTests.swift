import DigitsCore
import Foundation
import Testing
import _TestSupport

@Suite struct IDXTests {
  let dir = TemporaryDirectory()

  func write(_ name: String, _ data: Data) -> String {
    let path = dir.path + "/" + name
    FileManager.default.createFile(atPath: path, contents: data)
    return path
  }

  @Test func roundTripRawAndGzip() throws {
    let bytes = (0..<(3 * 28 * 28)).map { UInt8($0 % 251) }
    let raw = IDX.encode(dimensions: [3, 28, 28], bytes: bytes)
    let a = try IDX.read(path: write("a", raw))
    #expect(a.dimensions == [3, 28, 28] && a.bytes == bytes)
    let gz = try gzipped(raw)
    #expect(Gzip.isGzip(gz))
    let b = try IDX.read(path: write("b.gz", gz))
    #expect(b.dimensions == [3, 28, 28] && b.bytes == bytes)
  }

  /// libdeflate inflates a gzip file whole only when its trailer states the size its header
  /// declares and it is one intact member; every other file takes zlib's stream, and reads
  /// (or fails) as it always did.
  @Test func gzipIsInflatedWholeOnlyWhenItsTrailerAgrees() throws {
    let bytes = (0..<(3 * 28 * 28)).map { UInt8($0 % 253) }
    let raw = IDX.encode(dimensions: [3, 28, 28], bytes: bytes)
    let gz = try gzipped(raw)
    #expect(Gzip.inflateWhole(gz, size: raw.count) == [UInt8](raw))
    #expect(Gzip.inflateWhole(gz, size: raw.count - 1) == nil && Gzip.inflateWhole(gz, size: raw.count + 1) == nil)
    // A second member after the first, or bytes that end like its trailer: the stream reads
    // the first member, as before.
    for extra in try [gzipped(Data([1, 2, 3])), gz.suffix(8)] {
      let longer = gz + extra
      #expect(Gzip.inflateWhole(longer, size: raw.count) == nil)
      #expect(try IDX.read(path: write("longer.gz", longer)).bytes == bytes)
    }
    // A wrong CRC-32: libdeflate refuses it, and so does zlib, with the file's name.
    var damaged = gz
    damaged[damaged.count - 8] ^= 0xFF
    #expect(Gzip.inflateWhole(damaged, size: raw.count) == nil)
    let path = write("crc.gz", damaged)
    let error = #expect(throws: DigitsError.self) { try IDX.read(path: path) }
    #expect(error?.description.hasPrefix("\(path): gzip data is corrupt") == true, "\(error?.description ?? "")")
  }

  @Test func realMNISTLoads() throws {
    let folder = try DatasetFolder.locate(option: TestData.mnistPath)
    let test = try folder.loadTest()
    #expect(test.count == 10_000 && test.images.count == 10_000 * 784)
    #expect(Set(test.labels) == Set(0...9))
  }

  @Test(arguments: [
    ("empty", Data(), "too short"),
    ("wrong magic", Data([1, 2, 3, 4, 0, 0, 0, 1, 9]), "not an IDX file"),
    ("float type", Data([0, 0, 0x0D, 1, 0, 0, 0, 1, 9]), "not unsigned bytes"),
    ("truncated header", Data([0, 0, 8, 3, 0, 0]), "truncated IDX header"),
    ("truncated data", IDX.encode(dimensions: [2, 28, 28], bytes: [UInt8](repeating: 1, count: 1000)), "truncated"),
    ("trailing", IDX.encode(dimensions: [1], bytes: [1, 2]), "trailing bytes"),
  ])
  func malformedFilesGiveErrors(name: String, data: Data, expected: String) throws {
    let path = write(name, data)
    let error = #expect(throws: DigitsError.self) { try IDX.read(path: path) }
    #expect(error?.description.hasPrefix(path) == true)
    #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
  }

  @Test func truncatedGzipIsAnError() throws {
    let gz = try gzipped(IDX.encode(dimensions: [100], bytes: [UInt8](repeating: 3, count: 100)))
    let path = write("cut.gz", gz.prefix(gz.count / 2))
    let error = #expect(throws: DigitsError.self) { try IDX.read(path: path) }
    #expect(error?.description.contains("truncated") == true)
  }

  @Test func countMismatchAndBadLabels() throws {
    let images = write("i", IDX.encode(dimensions: [2, 28, 28], bytes: [UInt8](repeating: 0, count: 2 * 784)))
    let three = write("l3", IDX.encode(dimensions: [3], bytes: [1, 2, 3]))
    let e1 = #expect(throws: DigitsError.self) { try DatasetFolder.load(imagePath: images, labelPath: three) }
    #expect(e1?.description.contains("holds 3 labels but") == true)
    let bad = write("l2", IDX.encode(dimensions: [2], bytes: [1, 12]))
    let e2 = #expect(throws: DigitsError.self) { try DatasetFolder.load(imagePath: images, labelPath: bad) }
    #expect(e2?.description.contains("label 12") == true)
    let small = write("s", IDX.encode(dimensions: [1, 20, 20], bytes: [UInt8](repeating: 0, count: 400)))
    let one = write("l1", IDX.encode(dimensions: [1], bytes: [1]))
    let e3 = #expect(throws: DigitsError.self) { try DatasetFolder.load(imagePath: small, labelPath: one) }
    #expect(e3?.description.contains("20x20") == true)
  }

  /// With a home of its own: the machine's ~/.cache/digits/mnist (CI fills it) must not answer.
  @Test func missingDataSaysWhereItLooked() throws {
    let error = #expect(throws: DigitsError.self) {
      try DatasetFolder.locate(
        option: nil, environment: ["DIGITS_DATA": dir.path + "/nowhere", "HOME": dir.path + "/home"])
    }
    #expect(error?.description.contains(dir.path + "/nowhere") == true)
    #expect(error?.description.contains("digits download") == true)
  }

  // MARK: - Bounded cost

  /// Sizes that overflow Int when multiplied (the old `dims.reduce(1, *)` trapped) or ask
  /// for more than the limit are refused from the header, before anything is allocated.
  @Test(arguments: [
    ([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF] as [UInt32], "more than the 67108864-byte limit"),
    ([0xFFFF_FFFF, 28, 28], "more than the 67108864-byte limit"),
    ([UInt32(64 << 20) + 1], "more than the 67108864-byte limit"),
  ])
  func hugeDimensionsAreRefusedFromTheHeader(dims: [UInt32], expected: String) throws {
    for (name, data) in [
      ("raw", Data(HostileFiles.idxHeader(dims))),
      ("gz", HostileFiles.gzipBomb(prefix: HostileFiles.idxHeader(dims), zeroMiB: 0)),
    ] {
      let path = write("huge-\(name)", data)
      let error = #expect(throws: DigitsError.self) { try IDX.read(path: path) }
      #expect(error?.description.hasPrefix(path) == true)
      #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
    }
  }

  @Test func limitIsAParameter() throws {
    let path = write("hundred", IDX.encode(dimensions: [100], bytes: [UInt8](repeating: 1, count: 100)))
    #expect(try IDX.read(path: path, maxPayloadBytes: 100).bytes.count == 100)
    let error = #expect(throws: DigitsError.self) { try IDX.read(path: path, maxPayloadBytes: 99) }
    #expect(error?.description.contains("more than the 99-byte limit") == true)
  }

  /// A raw file's length is checked against its header with stat, before any data is read.
  @Test func rawLengthIsCheckedBeforeReading() throws {
    let path = write("long", IDX.encode(dimensions: [10], bytes: [UInt8](repeating: 1, count: 5000)))
    let error = #expect(throws: DigitsError.self) { try IDX.read(path: path) }
    #expect(error?.description.contains("has trailing bytes: dimensions 10 need 10 data bytes, found 5000") == true)
  }

  /// A gzip bomb whose header declares 10 bytes: the reader stops one byte past them. The
  /// stream has no end, so a reader that inflated it all would report it truncated.
  @Test func gzipBombStopsOneBytePastTheHeader() throws {
    let prefix = HostileFiles.idxHeader([10]) + [UInt8](repeating: 7, count: 10)
    let bomb = HostileFiles.gzipBomb(prefix: prefix, zeroMiB: 64, finished: false)
    let path = write("bomb.gz", bomb)
    let error = #expect(throws: DigitsError.self) { try IDX.read(path: path) }
    #expect(error?.description == "\(path): has trailing bytes: dimensions 10 need 10 data bytes, found more")
    // The same stream, finished, inflates to what it says, so the bomb maker is honest.
    let whole = try Gzip.decompress(HostileFiles.gzipBomb(prefix: prefix, zeroMiB: 2), path: "b", limit: 3 << 20)
    #expect(whole.count == prefix.count + 2 << 20 && Array(whole.prefix(prefix.count)) == prefix)
  }

  @Test func gzipOutputIsCappedInMemoryToo() throws {
    let bomb = HostileFiles.gzipBomb(prefix: [], zeroMiB: 8)
    let error = #expect(throws: DigitsError.self) { try Gzip.decompress(bomb, path: "bomb.gz", limit: 4 << 20) }
    #expect(error?.description == "bomb.gz: gzip data inflates to more than 4194304 bytes")
  }

  @Test func truncatedGzipPayload() throws {
    let bomb = HostileFiles.gzipBomb(prefix: HostileFiles.idxHeader([3 << 20]), zeroMiB: 1)
    let error = #expect(throws: DigitsError.self) { try IDX.read(path: write("short.gz", bomb)) }
    #expect(error?.description.contains("truncated: dimensions 3145728 need 3145728 data bytes, found 1048576") == true)
  }

  @Test func emptySetIsAnError() throws {
    let images = write("i0", IDX.encode(dimensions: [0, 28, 28], bytes: []))
    let labels = write("l0", IDX.encode(dimensions: [0], bytes: []))
    let error = #expect(throws: DigitsError.self) { try DatasetFolder.load(imagePath: images, labelPath: labels) }
    #expect(error?.description == "\(images): holds no images")
  }

  @Test func folderOrPipeIsNotAFile() throws {
    let error = #expect(throws: DigitsError.self) { try IDX.read(path: dir.path) }
    #expect(error?.description == "\(dir.path): is not a regular file")
    // A named pipe with no writer: refused at once, where a blocking open would wait forever.
    let fifo = dir.path + "/pipe"
    #expect(mkfifo(fifo, 0o600) == 0)
    let piped = #expect(throws: DigitsError.self) { try IDX.read(path: fifo) }
    #expect(piped?.description == "\(fifo): is not a regular file")
    let model = #expect(throws: DigitsError.self) { try ModelFile.read(path: fifo) }
    #expect(model?.description == "\(fifo): is not a regular file")
  }

  func gzipped(_ data: Data) throws -> Data {
    let raw = write("tmp-raw", data)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/gzip")
    p.arguments = ["-kf", raw]
    try p.run()
    p.waitUntilExit()
    return FileManager.default.contents(atPath: raw + ".gz")!
  }
}
