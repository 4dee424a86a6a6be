import ArgumentParser
import DefaultModel
import DigitsCore
import DigitsInterop

extension Digits {
  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write a model in another format, for serving elsewhere (ONNX Runtime, Triton).",
      discussion: """
        The ONNX file takes input [N,1,28,28] Float32 (pixel/255, white ink on black) and
        answers probabilities [N,10]; docs/MODEL-FORMAT.md describes it.

        Examples:
          digits export --model model.safetensors --format onnx --out model.onnx
          digits export --format onnx --out model.onnx     # the built-in model
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
      case onnx
    }

    @Option(help: "Model file (default: the built-in model).")
    var model: String?

    @Option(help: "Output format.")
    var format: Format = .onnx

    @Option(help: ArgumentHelp("Where to write the exported model.", valueName: "file"))
    var out: String

    func run() throws {
      let file = try model.map { try ModelFile.read(path: $0) } ?? DefaultModel.load()
      switch format {
      case .onnx: try ONNXExport.write(file, to: out)
      }
      Console.note(
        "wrote \(out) (ONNX opset \(ONNXExport.opset), input \"\(ONNXExport.inputName)\" [N,1,28,28], output \"\(ONNXExport.outputName)\" [N,10])"
      )
    }
  }
}
