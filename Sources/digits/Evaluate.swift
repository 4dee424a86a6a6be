import ArgumentParser
import DigitsCore
import Foundation

extension Digits {
  struct Evaluate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Score a model on the test set: accuracy, loss, confusion matrix, per-class report.",
      discussion: """
        Examples:
          digits evaluate --model model.safetensors
          digits evaluate --model model.safetensors --json > metrics.json
        """)

    @Option(help: "Model file to evaluate.")
    var model = "model.safetensors"

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var backendOptions: BackendOptions

    @Flag(help: "Print one JSON object with keys accuracy, loss, confusion, per_class.")
    var json = false

    func run() async throws {
      let file = try ModelFile.read(path: model)
      var data = dataOptions
      if data.dataset != file.dataset && data.data == nil { data.dataset = file.dataset }
      let test = try data.locate().loadTest()
      let backend = try BackendFactory.make(backendOptions)
      let network = SeedNetwork(backend: backend, values: file.parameters)
      let probabilities = Evaluator(network: network).probabilities(test)
      let report = ClassificationReport(labels: test.labels, probabilities: probabilities, classNames: file.classNames)
      if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
      } else {
        print("\(model) on \(test.count) test images (\(backend.name))")
        print(report.text)
      }
    }
  }
}
