import DigitsCore

/// A letter the stroke generator draws: the 26 capitals and the 26 small letters, several in
/// more than one form (a single- or double-storey `a`, a `J` with or without its top bar, a
/// looped `l`...), chosen at random per drawing. Capitals fill the unit box; small letters
/// sit on the same baseline (y = 1) with their x-height at 0.45, ascenders reaching 0 and
/// descenders 1.45. The MNIST layout scales every drawing to fit its box, so a small `o` and
/// a capital `O` come out alike, as they do in EMNIST (whose ByMerge split merges them).
public struct Letter: Hashable, Sendable, CustomStringConvertible {
  public let character: Character

  /// `character` must be an ASCII letter.
  public init?(_ character: Character) {
    guard character.isASCII, character.isLetter else { return nil }
    self.character = character
  }

  public static let capitals = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".map { Letter($0)! }
  public static let smalls = "abcdefghijklmnopqrstuvwxyz".map { Letter($0)! }
  public static let all = capitals + smalls

  public var isCapital: Bool { character.isUppercase }
  public var description: String { String(character) }

  /// The pen strokes of one drawing, before slant, warp and rendering.
  func strokes(_ pen: inout PenPath) -> [PenStroke] {
    isCapital ? capitalStrokes(&pen) : smallStrokes(&pen)
  }
}

extension HandwritingGenerator {
  /// One drawing of `letter`: 784 values, ink 1 on 0, laid out like MNIST.
  public func draw(_ letter: Letter, rng: inout SeededGenerator) -> [Float] {
    var pen = PenPath(rng: SeededGenerator(seed: rng.next()), wobble: style.wobble)
    let strokes = letter.strokes(&pen)
    return render(strokes, rng: &rng)
  }
}
