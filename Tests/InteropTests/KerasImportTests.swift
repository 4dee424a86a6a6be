import CPUBackend
import DigitsCore
import DigitsInterop
import Foundation
import Testing
import _TestSupport

/// `digits import` of the Keras fixtures: `digits evaluate` on the imported model gives the
/// accuracy Keras reported (to 0.01%) and the same classes on the first 1,000 test images.
@Suite("Keras models imported")
struct KerasImportTests {
  @Test("digits import + digits evaluate give Keras' own test accuracy", arguments: KerasFixtures.seedFiles)
  func evaluateMatchesKeras(_ name: String) throws {
    let facts = try KerasFixtures.facts()
    let folder = TemporaryDirectory()
    let out = folder.path + "/imported.safetensors"
    let imported = try CLIRunner.run(["import", KerasFixtures.path(name), "--out", out])
    try #require(imported.status == 0, "digits import \(name) failed: \(imported.stderr)")
    let evaluated = try CLIRunner.run([
      "evaluate", "--model", out, "--data", TestData.mnistPath, "--backend", "cpu", "--json",
    ])
    try #require(evaluated.status == 0, "digits evaluate failed: \(evaluated.stderr)")
    struct Report: Decodable { var accuracy: Double }
    let accuracy = try JSONDecoder().decode(Report.self, from: Data(evaluated.stdout.utf8)).accuracy
    #expect(
      abs(accuracy - facts.testAccuracy) <= 0.0001,
      "\(name): digits evaluate says \(accuracy), Keras said \(facts.testAccuracy)")
  }

  @Test(
    "the imported model picks Keras' class for each of the first 1,000 test images", arguments: KerasFixtures.seedFiles)
  func samePredictions(_ name: String) throws {
    let facts = try KerasFixtures.facts()
    let model = try KerasImport.read(path: KerasFixtures.path(name))
    let predicted = try classes(model, count: facts.first1000Predictions.count)
    let differing = predicted.indices.filter { predicted[$0] != facts.first1000Predictions[$0] }
    #expect(
      differing.isEmpty,
      "\(name): \(differing.count) of 1,000 differ from Keras, first at image \(differing.first ?? -1)")
  }

  @Test("the three Keras formats give the same weights")
  func formatsAgree() throws {
    let models = try KerasFixtures.seedFiles.map { try KerasImport.read(path: KerasFixtures.path($0)) }
    #expect(models[0].parameters == models[1].parameters)
    #expect(models[0].parameters == models[2].parameters)
  }

  /// The step that silently breaks accuracy when done wrong: Keras flattens [5,5,64]
  /// channels-last, digits NCHW. Without the conversion the accuracy test must fail.
  @Test("without the channels-last to NCHW conversion the accuracy is far from Keras'")
  func flattenOrderMatters() throws {
    let facts = try KerasFixtures.facts()
    let test = TestData.mnistTest
    func accuracy(_ model: ModelFile) throws -> Double {
      try Evaluator(network: SeedNetwork(backend: CPUBackend.make(), values: model.parameters)).lossAndAccuracy(test)
        .accuracy
    }
    let right = try accuracy(KerasImport.read(path: KerasFixtures.path("seed.keras")))
    let wrong = try accuracy(KerasImport.read(path: KerasFixtures.path("seed.keras"), flatten: .unconverted))
    #expect(abs(right - facts.testAccuracy) <= 0.0001)
    #expect(
      abs(wrong - facts.testAccuracy) > 0.01, "unconverted flatten order gave \(wrong), Keras \(facts.testAccuracy)")
    print("flatten order: converted \(right), unconverted \(wrong), Keras \(facts.testAccuracy)")
  }

  func classes(_ model: ModelFile, count: Int) throws -> [Int] {
    let network = SeedNetwork(backend: CPUBackend.make(), values: model.parameters)
    let p = try Evaluator(network: network).probabilities(TestData.mnistTest.slice(0..<count))
    return (0..<count).map { i in
      let row = p[(i * MNISTShape.classes)..<((i + 1) * MNISTShape.classes)]
      return row.indices.max { row[$0] < row[$1] }! - i * MNISTShape.classes
    }
  }
}
