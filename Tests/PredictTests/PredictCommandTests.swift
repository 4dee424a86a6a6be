import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// `digits predict` through the real binary: output formats, folders, standard input,
/// debug images, numbers, and bad input (one error line per bad file, the rest still read,
/// non-zero exit).
@Suite struct PredictCommandTests {
  let dir = TemporaryDirectory()

  /// Writes photos of test digits `indices` as PNG and JPEG files; returns path -> label.
  func writePhotos(_ indices: [Int], into folder: String, seed: UInt64 = 9) throws -> [String: Int] {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var maker = PhotoMaker(seed: seed)
    maker.canvas = 100...160
    var out: [String: Int] = [:]
    for (n, i) in indices.enumerated() {
      let photo = maker.photo(MNISTSamples.ink(MNISTSamples.test, i))
      let path = folder + "/digit\(n).\(n % 2 == 0 ? "png" : "jpg")"
      let data =
        n % 2 == 0
        ? PNG.grayscale(photo.bytes, width: photo.width, height: photo.height)
        : ImageEncoders.jpeg(width: photo.width, height: photo.height, channels: 1, samples: photo.bytes, quality: 85)
      try data.write(to: URL(fileURLWithPath: path))
      out[path] = Int(MNISTSamples.test.labels[i])
    }
    return out
  }

  func jsonLines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map {
      try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "not JSON: \($0)")
    }
  }

  @Test func folderAsJSONLines() throws {
    let folder = dir.path + "/photos"
    var truth = try writePhotos(Array(0..<6), into: folder)
    truth.merge(try writePhotos(Array(6..<9), into: folder + "/more", seed: 10)) { a, _ in a }
    try Data("not an image".utf8).write(to: URL(fileURLWithPath: folder + "/README.txt"))  // skipped: not an image name
    let r = try CLIRunner.run(["predict", "--backend", "cpu", "--json", folder])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = try jsonLines(r.stdout)
    #expect(lines.count == 9)
    var right = 0
    for line in lines {
      // The API's fields (`Digit` in its OpenAPI document), with the file in front.
      #expect(Set(line.keys) == ["file", "digit", "label", "confidence", "probabilities", "input28", "box"])
      #expect((line["input28"] as? [Double])?.count == 784 && (line["box"] as? [Int])?.count == 4)
      let probabilities = try #require(line["probabilities"] as? [Double])
      #expect(probabilities.count == 10 && abs(probabilities.reduce(0, +) - 1) < 1e-3)
      let file = try #require(line["file"] as? String)
      if line["digit"] as? Int == truth[file] { right += 1 }
      #expect((line["confidence"] as? Double) == probabilities.max())
    }
    #expect(right >= 8)
  }

  @Test func textLines() throws {
    let truth = try writePhotos([0, 1], into: dir.path)
    let files = truth.keys.sorted()
    let r = try CLIRunner.run(["predict", "--backend", "cpu"] + files)
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == 2)
    for (line, file) in zip(lines, files) {
      #expect(line.hasPrefix("\(file): \(truth[file]!) ("), "\(line)")
      #expect(line.contains("next: "))
      #expect(line.components(separatedBy: "%").count == 4)  // best and two next guesses
    }
    let one = try CLIRunner.run(["predict", "--backend", "cpu", "--top-k", "1", files[0]])
    #expect(!one.stdout.contains("next"))
    // More guesses than the model has classes: all ten, no more.
    let all = try CLIRunner.run(["predict", "--backend", "cpu", "--top-k", "11", files[0]])
    #expect(all.status == 0 && all.stdout.components(separatedBy: "%").count == 11, "\(all.stdout)")
    let bad = try CLIRunner.run(["predict", "--top-k", "1001", files[0]])
    #expect(bad.status != 0 && bad.stderr.contains("--top-k"))
  }

  @Test func badFilesAreReportedAndTheRestRead() throws {
    let folder = dir.path + "/mixed"
    let truth = try writePhotos([0], into: folder)
    let good = truth.keys.first!
    try Data("definitely not a picture".utf8).write(to: URL(fileURLWithPath: folder + "/fake.png"))
    let jpeg = ImageEncoders.jpeg(
      width: 64, height: 64, channels: 1, samples: [UInt8](repeating: 200, count: 4096), quality: 90)
    try jpeg.prefix(jpeg.count / 2).write(to: URL(fileURLWithPath: folder + "/cut.jpg"))
    try Data().write(to: URL(fileURLWithPath: folder + "/empty.bmp"))
    let missing = dir.path + "/absent.png"
    let emptyFolder = dir.path + "/nothing"
    try FileManager.default.createDirectory(atPath: emptyFolder, withIntermediateDirectories: true)

    let r = try CLIRunner.run(["predict", "--backend", "cpu", folder, missing, emptyFolder])
    #expect(r.status != 0)
    #expect(r.stdout.split(separator: "\n").count == 1 && r.stdout.hasPrefix(good + ": \(truth[good]!)"), "\(r.stdout)")
    let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
    #expect(errors.count == 5, "\(r.stderr)")
    for (path, fragment) in [
      (folder + "/fake.png", "not a readable image"), (folder + "/cut.jpg", "truncated"),
      (folder + "/empty.bmp", "empty"), (missing, "no such file"), (emptyFolder, "no images"),
    ] {
      #expect(errors.contains { $0.contains(path) && $0.contains(fragment) }, "\(path): \(fragment) in \(r.stderr)")
    }
    #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))

    let json = try CLIRunner.run(["predict", "--backend", "cpu", "--json", folder])
    #expect(json.status != 0)
    let records = try jsonLines(json.stdout)
    #expect(records.count == 4)
    #expect(records.filter { $0["error"] != nil }.count == 3)
  }

  /// Tests/Pictures: a portrait photo in every EXIF orientation, WebP and HEIC, found in the
  /// folder by their extensions and each read as the upright PNG is.
  @Test func phoneAndBrowserPictures() throws {
    let folder = TestData.packageRoot.appendingPathComponent("Tests/Pictures").path
    let r = try CLIRunner.run(["predict", "--backend", "cpu", "--json", folder])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = try jsonLines(r.stdout)
    let files = Set(lines.compactMap { ($0["file"] as? String).map { ($0 as NSString).lastPathComponent } })
    #expect(files.isSuperset(of: (1...8).map { "seven-orientation-\($0).jpg" } + ["seven.webp", "seven.heic"]))
    for line in lines { #expect(line["digit"] as? Int == 7, "\(line)") }
  }

  @Test func blankPictureIsNoDigit() throws {
    let path = dir.path + "/blank.png"
    try PNG.grayscale([UInt8](repeating: 230, count: 200 * 150), width: 200, height: 150).write(
      to: URL(fileURLWithPath: path))
    let r = try CLIRunner.run(["predict", "--backend", "cpu", path])
    #expect(r.status == 0)
    #expect(r.stdout.hasPrefix(path + ": no digit"))
    let json = try jsonLines(try CLIRunner.run(["predict", "--backend", "cpu", "--json", path]).stdout)
    #expect(json.count == 1 && json[0]["digit"] is NSNull)
  }

  @Test func standardInputRawArrays() throws {
    let indices = [0, 1, 2]
    let text = indices.map { i in
      MNISTSamples.test.images[(i * 784)..<((i + 1) * 784)].map(String.init).joined(separator: " ")
    }
    .joined(separator: "\n")
    let r = try CLIRunner.run(["predict", "--backend", "cpu", "--json", "-"], stdin: Data(text.utf8))
    #expect(r.status == 0, "\(r.stderr)")
    let lines = try jsonLines(r.stdout)
    #expect(lines.map { $0["file"] as? String } == ["-[0]", "-[1]", "-[2]"])
    #expect(lines.map { $0["digit"] as? Int } == indices.map { Int(MNISTSamples.test.labels[$0]) })
    let png = try CLIRunner.run(
      ["predict", "--backend", "cpu", "-"],
      stdin: try Data(contentsOf: URL(fileURLWithPath: try writePhotos([3], into: dir.path + "/in").keys.first!)))
    #expect(
      png.status == 0 && png.stdout.hasPrefix("-: \(MNISTSamples.test.labels[3]) ("), "\(png.stdout) \(png.stderr)")
  }

  @Test func debugImagesShowWhatTheModelSees() throws {
    let truth = try writePhotos([4], into: dir.path + "/src")
    let out = dir.path + "/seen"
    let r = try CLIRunner.run(["predict", "--backend", "cpu", "--debug-preprocess", out, truth.keys.first!])
    #expect(r.status == 0, "\(r.stderr)")
    let written = try FileManager.default.contentsOfDirectory(atPath: out)
    #expect(written.count == 1 && written[0].hasSuffix(".png"))
    let image = try ImageDecoder.read(path: out + "/" + written[0])
    #expect(image.width == 28 && image.height == 28 && image.pixels.max() == 1 && image.pixels[0] == 0)
  }

  @Test func multiDigitNumber() throws {
    let indices = [3, 2, 1, 0]  // 0 1 2 7... read from the labels
    var maker = PhotoMaker(seed: 21)
    maker.canvas = 100...140
    let strip = maker.strip(indices.map { MNISTSamples.ink(MNISTSamples.test, $0) }, step: 24...26)
    let photo = maker.photo(strip.ink, width: strip.width, height: strip.height, digitHeight: 50...60)
    let path = dir.path + "/number.png"
    try PNG.grayscale(photo.bytes, width: photo.width, height: photo.height).write(to: URL(fileURLWithPath: path))
    let truth = indices.map { String(MNISTSamples.test.labels[$0]) }.joined()
    let r = try CLIRunner.run(["predict", "--backend", "cpu", "--multi", path])
    #expect(r.status == 0 && r.stdout.hasPrefix("\(path): \(truth)  ("), "\(r.stdout) \(r.stderr)")
    let json = try jsonLines(try CLIRunner.run(["predict", "--backend", "cpu", "--multi", "--json", path]).stdout)
    #expect(json.first?["number"] as? String == truth)
    #expect((json.first?["digits"] as? [[String: Any]])?.count == 4)
  }

  @Test func badModelFile() throws {
    let model = dir.path + "/broken.safetensors"
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: model))
    let r = try CLIRunner.run(["predict", "--model", model, "x.png"])
    #expect(r.status != 0 && r.stderr.contains(model))
  }
}
