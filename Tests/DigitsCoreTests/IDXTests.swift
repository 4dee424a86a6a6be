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

  @Test func missingDataSaysWhereItLooked() throws {
    let error = #expect(throws: DigitsError.self) {
      try DatasetFolder.locate(option: nil, environment: ["DIGITS_DATA": dir.path + "/nowhere"])
    }
    #expect(error?.description.contains(dir.path + "/nowhere") == true)
    #expect(error?.description.contains("digits download") == true)
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
