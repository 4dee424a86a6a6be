import DigitsCore
import Foundation
import Testing
import _TestSupport

/// Bounded cost for any data or model file (docs/RELIABILITY.md, "Bounded cost"). Every
/// malformed file made here, run through the built `digits`, must end in
/// - exit status 1, not a signal;
/// - stderr of exactly one line, `Error: <the file's path>: ...` (no backtrace);
/// - no output file (`train --out`, `evaluate --report`) and no temporary file left;
/// - a peak resident set of at most baseline + 2 x the largest legitimate file of its kind,
///   where baseline is the same command's peak on a missing file, and the largest
///   legitimate files are MNIST's train-images (47,040,016 bytes) and a digits checkpoint
///   (2.7 MB).
@Suite(.serialized) struct HostileFileTests {
  static let largestDataFile = 16 + 60_000 * 28 * 28
  let dir = TemporaryDirectory()

  // MARK: - Data files: `digits train --data DIR --epochs 1 --limit 10 --out OUT`

  /// A data folder with legitimate tiny files (10 images) except `bad`, which replaces one.
  func dataFolder(_ name: String, bad stem: String, _ contents: Data) -> String {
    let folder = dir.path + "/" + name
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let images = IDX.encode(dimensions: [10, 28, 28], bytes: [UInt8](repeating: 9, count: 7840))
    let labels = IDX.encode(dimensions: [10], bytes: (0..<10).map { UInt8($0) })
    for (s, d) in zip(DatasetFolder.fileStems, [images, labels, images, labels])
    where s != stem.replacingOccurrences(of: ".gz", with: "") {
      FileManager.default.createFile(atPath: folder + "/" + s, contents: d)
    }
    FileManager.default.createFile(atPath: folder + "/" + stem, contents: contents)
    return folder
  }

  static func header(_ dims: [UInt32]) -> [UInt8] { HostileFiles.idxHeader(dims) }

  /// (name, file replaced, its contents, what the error says)
  static let dataCases: [(String, String, Data, String)] = [
    // The issue's cases: sizes that overflow (dims.reduce(1, *) trapped) and a gzip bomb.
    ("dims 0xFFFFFFFF", "train-images-idx3-ubyte", Data(header([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF])), "limit"),
    (
      "dims 0xFFFFFFFF gz", "train-images-idx3-ubyte.gz",
      HostileFiles.gzipBomb(prefix: header([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF]), zeroMiB: 1), "limit"
    ),
    (
      "bomb 3.2 MB to 3.3 GB", "train-images-idx3-ubyte.gz",
      HostileFiles.gzipBomb(prefix: header([60_000, 28, 28]), zeroMiB: 3_150), "trailing bytes"
    ),
    (
      "label bomb", "train-labels-idx1-ubyte.gz", HostileFiles.gzipBomb(prefix: header([10]), zeroMiB: 3_150),
      "trailing bytes"
    ),
    ("over the limit", "train-images-idx3-ubyte", Data(header([100_000, 28, 28])), "limit"),
    (
      "truncated", "train-images-idx3-ubyte", Data(header([60_000, 28, 28]) + [UInt8](repeating: 1, count: 1000)),
      "truncated"
    ),
    (
      "truncated gz", "train-images-idx3-ubyte.gz",
      HostileFiles.gzipBomb(prefix: header([60_000, 28, 28]), zeroMiB: 2), "truncated"
    ),
    (
      "cut gz", "train-images-idx3-ubyte.gz",
      HostileFiles.gzipBomb(prefix: header([10, 28, 28]), zeroMiB: 0).prefix(20), "truncated"
    ),
    (
      "corrupt gz", "train-images-idx3-ubyte.gz", Data([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF]),
      "corrupt"
    ),
    (
      "header lies", "train-images-idx3-ubyte", Data(header([10, 28, 28]) + [UInt8](repeating: 1, count: 20 * 784)),
      "trailing bytes"
    ),
    (
      "wrong magic", "train-images-idx3-ubyte", Data([0x89, 0x50, 0x4E, 0x47] + [UInt8](repeating: 0, count: 100)),
      "bad magic"
    ),
    ("empty", "train-images-idx3-ubyte", Data(), "too short"),
    ("no images", "train-images-idx3-ubyte", Data(header([0, 28, 28])), "holds no images"),
    ("20x20", "train-images-idx3-ubyte", Data(header([10, 20, 20]) + [UInt8](repeating: 1, count: 4000)), "20x20"),
    ("label 12", "train-labels-idx1-ubyte", Data(header([10]) + [1, 2, 3, 4, 5, 6, 7, 8, 9, 12]), "label 12"),
    ("count mismatch", "train-labels-idx1-ubyte", Data(header([3]) + [1, 2, 3]), "holds 3 labels"),
  ]

  @Test func badDataFilesCostLittleAndEndInOneLine() throws {
    let baseline = try MeasuredRun.digits([
      "train", "--data", dir.path + "/missing", "--epochs", "1", "--limit", "10",
      "--out", dir.path + "/out/model.safetensors",
    ])
    #expect(baseline.status == 1 && baseline.stderr.hasPrefix("Error: "), "\(baseline.stderr)")
    let budget = baseline.peakBytes + 2 * Self.largestDataFile
    print("train baseline \(baseline.peakBytes >> 10) KiB, budget \(budget >> 10) KiB")
    for (i, (name, stem, contents, fragment)) in Self.dataCases.enumerated() {
      let folder = dataFolder("data\(i)", bad: stem, contents)
      let out = dir.path + "/out\(i)"
      let r = try MeasuredRun.digits([
        "train", "--data", folder, "--epochs", "1", "--limit", "10", "--out", out + "/model.safetensors",
      ])
      check(r, name: name, path: folder + "/" + stem, fragment: fragment, budget: budget, written: [out])
    }
  }

  // MARK: - Model files: `digits evaluate --model FILE --data MNIST --report R`

  /// A legitimate checkpoint (parameters, Adam state, history) as safetensors.
  static func checkpoint() throws -> Safetensors.File {
    let parameters = SeedNetwork.parameterSpecs.map { [Float](repeating: 0.01, count: $0.shape.reduce(1, *)) }
    let history = [
      EpochRecord(
        epoch: 1, loss: 0.2, accuracy: 0.94, valLoss: 0.1, valAccuracy: 0.97, seconds: 5,
        imagesPerSecond: 12_000, learningRate: 0.001)
    ]
    var model = ModelFile(parameters: parameters, dataset: .mnist, history: history)
    model.adam = (7, parameters, parameters)
    return try model.safetensors()
  }

  static func modelCases() throws -> [(String, Data, String)] {
    let good = try Safetensors.encode(try checkpoint())
    func withMetadata(_ key: String, _ value: String) throws -> Data {
      var file = try checkpoint()
      file.metadata[key] = value
      return try Safetensors.encode(file)
    }
    func entry(_ name: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
      #""\#(name)":{"dtype":"F32","shape":\#(shape),"data_offsets":[\#(begin),\#(end)]}"#
    }
    var issue = HostileFiles.safetensors(header: "{" + entry("w", [4_294_967_296, 4_294_967_296, 2], 0, 16) + "}")
    issue.append(Data(count: 100 - issue.count))
    var nanTensor = try checkpoint()
    nanTensor.tensors[0].values[3] = .nan
    return [
      ("the issue's 100 bytes", issue, "needs more bytes"),
      (
        "huge header length", Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) + good.dropFirst(8), "implausible"
      ),
      ("out of order", HostileFiles.safetensors(header: "{" + entry("a", [2], 8, 0) + "}", body: 8), "do not hold"),
      (
        "overlapping",
        HostileFiles.safetensors(header: "{" + entry("a", [2], 0, 8) + "," + entry("b", [2], 4, 12) + "}", body: 12),
        "overlap"
      ),
      (
        "hole",
        HostileFiles.safetensors(header: "{" + entry("a", [1], 0, 4) + "," + entry("b", [1], 8, 12) + "}", body: 12),
        "unused"
      ),
      ("trailing", good + Data(count: 64), "bytes after the last tensor"),
      ("truncated", good.prefix(good.count / 2), "truncated"),
      ("too big", Data(count: 4 << 20), "limit"),
      (
        "many values", HostileFiles.safetensors(header: "[" + String(repeating: "0,", count: 400_000) + "0]"),
        "JSON values"
      ),
      ("not JSON", HostileFiles.safetensors(header: "{nope"), "not valid JSON"),
      ("NaN weights", try Safetensors.encode(nanTensor), "NaN"),
      ("NaN history", try withMetadata("history", #"[{"epoch":1,"loss":NaN}]"#), "history"),
      (
        "history of 1e999",
        try withMetadata(
          "history", #"[{"epoch":1,"loss":1e999,"accuracy":0,"seconds":0,"images_per_second":0,"learning_rate":0}]"#),
        "history"
      ),
      ("adam_step past Int", try withMetadata("adam_step", "99999999999999999999999"), "adam_step"),
      ("empty", Data(), "too short"),
    ]
  }

  @Test func badModelFilesCostLittleAndEndInOneLine() throws {
    let legit = try Safetensors.encode(try Self.checkpoint()).count
    let report = dir.path + "/report/report.html"
    let missing = dir.path + "/missing.safetensors"
    let baseline = try MeasuredRun.digits([
      "evaluate", "--model", missing, "--data", TestData.mnistPath, "--report", report,
    ])
    #expect(baseline.status == 1 && baseline.stderr.hasPrefix("Error: \(missing)"), "\(baseline.stderr)")
    let budget = baseline.peakBytes + 2 * legit
    print("evaluate baseline \(baseline.peakBytes >> 10) KiB, checkpoint \(legit) bytes, budget \(budget >> 10) KiB")
    for (i, (name, contents, fragment)) in try Self.modelCases().enumerated() {
      let path = dir.path + "/model\(i).safetensors"
      FileManager.default.createFile(atPath: path, contents: contents)
      let r = try MeasuredRun.digits(["evaluate", "--model", path, "--data", TestData.mnistPath, "--report", report])
      check(r, name: name, path: path, fragment: fragment, budget: budget, written: [dir.path + "/report"])
    }
  }

  func check(_ r: MeasuredRun.Result, name: String, path: String, fragment: String, budget: Int, written: [String]) {
    let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(
      !r.signalled && r.status == 1, "\(name): exit \(r.status), signalled \(r.signalled): \(r.stderr.prefix(300))")
    #expect(lines.count == 2 && lines[1].isEmpty, "\(name): stderr is not one line: \(r.stderr.prefix(300))")
    #expect(r.stderr.hasPrefix("Error: \(path): "), "\(name): \(r.stderr.prefix(300))")
    #expect(r.stderr.contains(fragment), "\(name): \(r.stderr.prefix(300)) lacks \(fragment)")
    #expect(r.peakBytes <= budget, "\(name): peak \(r.peakBytes >> 10) KiB over the budget of \(budget >> 10) KiB")
    for path in written { #expect(!FileManager.default.fileExists(atPath: path), "\(name): wrote \(path)") }
    print("\(name): peak \(r.peakBytes >> 10) KiB (budget \(budget >> 10) KiB); \(lines.first ?? "")")
  }
}
