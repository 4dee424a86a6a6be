import ArgumentParser
import DigitsCore
import DigitsVision

extension GeneratedLetters.Classes: ExpressibleByArgument {}

extension Digits {
  /// A developer's tool, hidden from the command list: it makes the letters folder the
  /// README's "train on your own pictures" example and the letters benchmark train on, from
  /// the same binary, so anyone can reproduce them with a seed and no other program.
  struct DrawLetters: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "draw-letters",
      abstract: "Write letters drawn by the stroke generator as a picture folder (DIR/<letter>/*.png).",
      discussion: """
        Examples:
          digits draw-letters letters/train --per-class 500 --seed 1
          digits draw-letters letters/test --per-class 100 --seed 2 --style test
        """,
      shouldDisplay: false)

    @Argument(help: "Folder to write into (created; class folders inside it).")
    var folder: String

    @Option(help: "Drawings per class.")
    var perClass = 200

    @Option(help: "Seed of the drawings.")
    var seed: UInt64 = 1

    @Option(help: "Classes: capital (A-Z), small (a-z) or merged (26 classes, half capital, half small).")
    var classes: GeneratedLetters.Classes = .merged

    @Option(help: "Drawing style: training (wider ranges) or test (other pens, slants and warps).")
    var style: String = "training"

    func validate() throws {
      guard (1...100_000).contains(perClass) else {
        throw ValidationError("--per-class must be 1 to 100000, got \(perClass)")
      }
      guard ["training", "test"].contains(style) else {
        throw ValidationError("--style must be training or test, got \(style)")
      }
    }

    func run() throws {
      let count = try GeneratedLetters.writeFolder(
        folder, classes: classes, perClass: perClass, seed: seed,
        style: style == "test" ? .styleTest : .training)
      Console.line("wrote \(count) pictures in \(classes.names.count) class folders under \(folder)")
    }
  }
}
