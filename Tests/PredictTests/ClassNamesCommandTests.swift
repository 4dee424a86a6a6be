import CPUBackend
import DefaultModel
import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// The commands with a model of other classes than the ten digits: the built-in model's
/// weights with the digits named as words and two more classes that never win (a bias of
/// -100), so the answers are known and every surface must show the model's names.
@Suite struct ClassNamesCommandTests {
  let dir = TemporaryDirectory()

  static let words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

  /// The built-in model with `extra` more outputs named `extra 0`, ...: their weights zero
  /// and biases -100.
  static func wordsModel(extra: Int = 2) throws -> ModelFile {
    let digits = try DefaultModel.load()
    var parameters = digits.parameters
    parameters[6] += [Float](repeating: 0, count: extra * 128)
    parameters[7] += [Float](repeating: -100, count: extra)
    return ModelFile(
      parameters: parameters, datasetName: "words", classNames: words + (0..<extra).map { "extra \($0)" },
      calibration: digits.calibration)
  }

  func writeModel(_ model: ModelFile, name: String = "words.safetensors") throws -> String {
    let path = dir.path + "/" + name
    try model.write(to: path)
    return path
  }

  /// A photo of test digit `index` (a 7 for index 0) as PNG.
  func photo(_ index: Int) throws -> String {
    let path = dir.path + "/digit\(index).png"
    var maker = PhotoMaker(seed: 9)
    maker.canvas = 100...160
    let photo = maker.photo(MNISTSamples.ink(MNISTSamples.test, index))
    try PNG.grayscale(photo.bytes, width: photo.width, height: photo.height).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test func predictNamesTheClassInTextAndJSON() throws {
    let model = try writeModel(Self.wordsModel())
    let picture = try photo(0)
    #expect(MNISTSamples.test.labels[0] == 7)
    let text = try CLIRunner.run(["predict", "--backend", "cpu", "--model", model, "--top-k", "20", picture])
    #expect(text.status == 0, "\(text.stderr)")
    // Twelve classes: the best and eleven next guesses at most, however many were asked for.
    #expect(text.stdout.hasPrefix("\(picture): seven ("), "\(text.stdout)")
    #expect(text.stdout.components(separatedBy: ", ").count == 11, "\(text.stdout)")
    #expect(text.stdout.contains("extra 1"))
    let json = try CLIRunner.run(["predict", "--backend", "cpu", "--model", model, "--json", picture])
    #expect(json.status == 0, "\(json.stderr)")
    let line = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(line["label"] as? String == "seven" && line["digit"] as? Int == 7)
    #expect((line["probabilities"] as? [Double])?.count == 12)
  }

  @Test func readingANumberNeedsTheDigits() throws {
    let model = try writeModel(Self.wordsModel())
    let run = try CLIRunner.run(["predict", "--backend", "cpu", "--model", model, "--multi", try photo(0)])
    #expect(run.status != 0 && run.stdout.isEmpty)
    #expect(
      run.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        == "Error: \(model): reading a number needs a model of the ten digits; this one tells apart 12 classes "
        + "(zero, one, two, three, four, ...)", "\(run.stderr)")
  }

  /// The ten digits under other names are still not the digits: a wide picture is never
  /// tried as several of them.
  @Test func aWidePictureIsOneAnswer() throws {
    let classifier = DigitClassifier(model: try Self.wordsModel(), backend: CPUBackend.make(threads: 1))
    let predictor = PicturePredictor(classifier: classifier)
    #expect(!predictor.reader.readsDigits)
    let digits = DigitClassifier(model: try DefaultModel.load(), backend: CPUBackend.make(threads: 1))
    #expect(PicturePredictor(classifier: digits).reader.readsDigits)
  }

  @Test func evaluateAndReportUseTheModelsClasses() throws {
    let model = try writeModel(Self.wordsModel())
    let report = dir.path + "/report.html"
    let run = try CLIRunner.run([
      "evaluate", "--backend", "cpu", "--model", model, "--dataset", "mnist", "--data", TestData.mnistPath,
      "--report", report,
    ])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("seven") && run.stdout.contains("extra 1"), "\(run.stdout)")
    let html = try String(contentsOfFile: report, encoding: .utf8)
    #expect(html.contains("id=\"most-confused\"") && html.contains("<th>nine</th>"))
    // Labels past the model's classes are refused: a two-class model cannot score digits.
    var two = try Self.wordsModel(extra: 0)
    two.classNames = ["zero", "one"]
    two.parameters[6] = Array(two.parameters[6].prefix(2 * 128))
    two.parameters[7] = Array(two.parameters[7].prefix(2))
    let small = try writeModel(two, name: "two.safetensors")
    let refused = try CLIRunner.run([
      "evaluate", "--backend", "cpu", "--model", small, "--dataset", "mnist", "--data", TestData.mnistPath,
    ])
    #expect(refused.status != 0)
    #expect(refused.stderr.contains("is not one of \(small)'s 2 classes"), "\(refused.stderr)")
  }
}
