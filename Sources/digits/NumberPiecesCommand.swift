import ArgumentParser
import DigitsCore
import DigitsVision
import Foundation

extension Digits {
  /// A developer's tool, hidden from the command list: it turns composed numbers (from
  /// `Benchmarks/Numbers/make-numbers.py --owners`) into the picture folder the number
  /// reader's judge is trained on, so the built-in judge can be made again from a seed.
  struct NumberPieces: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "number-pieces",
      abstract: "Write the candidate digits of composed numbers as a picture folder (DIR/<digit or none>/*.pgm).",
      discussion: """
        Examples:
          python3 Benchmarks/Numbers/make-numbers.py numbers --split train --style training --owners --count 8000 --seed 5
          digits number-pieces numbers pieces --none-per-number 5
          digits train --data pieces --layout resize --out judge.safetensors
        """,
      shouldDisplay: false)

    @Argument(help: "Folder of composed numbers with manifest.tsv and NAME.owners files.")
    var numbers: String

    @Argument(help: "Folder to write into (created; a folder per class inside it).")
    var folder: String

    @Option(help: "Candidates that are not one whole digit kept per number, chosen at random.")
    var nonePerNumber = 5

    @Option(help: "Seed of that choice.")
    var seed: UInt64 = 1

    func run() throws {
      let manifestPath = numbers + "/manifest.tsv"
      guard let manifest = try? String(contentsOfFile: manifestPath, encoding: .utf8) else {
        throw DigitsError.file(manifestPath, "cannot be read (make-numbers.py writes it)")
      }
      let rows = manifest.split(separator: "\n").dropFirst().map { $0.split(separator: "\t") }
      var rng = SeededGenerator(seed: seed)
      var written = [String: Int]()
      let fm = FileManager.default
      for name in (0...9).map(String.init) + [DigitsVision.NumberPieces.noneName] {
        try fm.createDirectory(atPath: folder + "/" + name, withIntermediateDirectories: true)
      }
      for (n, row) in rows.enumerated() where row.count >= 2 {
        let file = String(row[0]), digits = row[1].compactMap { $0.wholeNumberValue }
        let image = try ImageDecoder.read(path: numbers + "/" + file)
        let ownerPath = numbers + "/" + file.replacingOccurrences(of: ".pgm", with: ".owners")
        guard let ownerData = FileManager.default.contents(atPath: ownerPath) else {
          throw DigitsError.file(ownerPath, "missing: write the numbers with make-numbers.py --owners")
        }
        let owners = try ImageDecoder.decode(ownerData, name: ownerPath)
        guard owners.width == image.width, owners.height == image.height else {
          throw DigitsError.file(
            ownerPath, "is \(owners.width)x\(owners.height), its picture \(image.width)x\(image.height)")
        }
        let pieces = DigitsVision.NumberPieces.pieces(
          of: image, owners: owners.pixels.map { UInt8(($0 * 255).rounded()) }, number: digits)
        var none = pieces.filter { $0.digit == nil }
        none.shuffle(using: &rng)
        for (k, piece) in (pieces.filter { $0.digit != nil } + none.prefix(nonePerNumber)).enumerated() {
          let name = piece.digit.map(String.init) ?? DigitsVision.NumberPieces.noneName
          let bytes = piece.pixels.map { UInt8(255 - (max(0, min(1, $0)) * 255).rounded()) }
          let pgm = Data("P5\n28 28\n255\n".utf8) + Data(bytes)
          try pgm.write(to: URL(fileURLWithPath: "\(folder)/\(name)/\(n)-\(k).pgm"))
          written[name, default: 0] += 1
        }
        if n % 1000 == 999 { Console.line("\(n + 1) of \(rows.count) numbers") }
      }
      let summary = written.keys.sorted().map { "\($0): \(written[$0]!)" }.joined(separator: ", ")
      Console.line("wrote \(written.values.reduce(0, +)) pieces under \(folder) (\(summary))")
    }
  }
}
