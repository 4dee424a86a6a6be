import ArgumentParser
import DigitsCore

@main
struct Digits: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "digits",
    abstract: "Train and run a convolutional network for handwritten digits, on a GPU (OpenCL) or the CPU.",
    discussion: """
      Quick start:
        digits download                       # MNIST into ~/.cache/digits/mnist
        digits train --epochs 10              # writes model.safetensors
        digits evaluate --model model.safetensors
        digits predict photo.jpg
        digits serve                          # draw digits at http://127.0.0.1:8080/
      """,
    version: DigitsVersion.current,
    subcommands: [
      Train.self, Evaluate.self, Predict.self, Serve.self, Devices.self, Download.self, Export.self, Import.self,
      DrawLetters.self, NumberPieces.self,
    ])
}
