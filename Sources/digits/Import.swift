import ArgumentParser
import DigitsCore
import DigitsInterop

extension Digits {
  struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Turn a Keras model of the seed CNN into a digits model file.",
      discussion: """
        Reads Keras 2 .h5 (model.save), Keras 3 .keras and weights-only .weights.h5 files of
        the seed architecture: Conv2D 32 3x3 relu, MaxPooling2D 2, Conv2D 64 3x3 relu,
        MaxPooling2D 2, Flatten, Dense 128 relu, Dense 10 softmax, trained on pixel/255.

        Examples:
          digits import model.keras --out model.safetensors
          digits evaluate --model model.safetensors
        """)

    @Argument(help: ArgumentHelp("Keras model file (.h5, .keras or .weights.h5).", valueName: "keras-file"))
    var input: String

    @Option(help: ArgumentHelp("Where to write the digits model.", valueName: "file"))
    var out = "model.safetensors"

    func run() throws {
      let model = try KerasImport.read(path: input)
      try model.write(to: out)
      Console.note("wrote \(out) from \(input)")
    }
  }
}
