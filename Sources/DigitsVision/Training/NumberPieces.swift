import DigitsCore

/// The training pieces of the number reader's judge: every candidate digit the reader weighs
/// in a composed number, labelled from the composer's record of which digit each pixel's ink
/// belongs to. A candidate holding one digit's ink nearly whole, and little of any other's,
/// is that digit; anything else (half a digit, two digits, a digit and part of its
/// neighbour) is `noneName`. The judge learns from them how a whole digit looks once the
/// reader has cut it out, which the digit network, trained on whole digits only, cannot say.
public enum NumberPieces {
  /// The judge's class for "not one whole digit"; its other classes are the digits 0-9.
  public static let noneName = "none"
  /// Share of a digit's own ink a candidate must hold to be that digit.
  static let wholeShare: Float = 0.85
  /// Most ink of other digits, relative to its own, a whole digit's candidate may hold.
  static let foreignShare: Float = 0.12

  public struct Piece: Sendable {
    /// 784 network inputs, as the reader lays them out.
    public let pixels: [Float]
    /// The digit it holds whole, or nil.
    public let digit: Int?
  }

  /// The candidates of `image` with their labels. `owners` (the picture's size) holds
  /// 1 + the index into `number` of the digit whose ink each pixel is, 0 for none.
  public static func pieces(
    of image: GrayImage, owners: [UInt8], number: [Int], reader: NumberReader = NumberReader()
  ) -> [Piece] {
    precondition(owners.count == image.width * image.height, "one owner per pixel")
    guard !number.isEmpty, case .classify(let candidates) = reader.candidates(image) else { return [] }
    let map = candidates.map
    func owner(_ x: Int, _ y: Int) -> Int {
      let sx = min(image.width - 1, map.origin.x + x * map.shrink + map.shrink / 2)
      let sy = min(image.height - 1, map.origin.y + y * map.shrink + map.shrink / 2)
      let o = Int(owners[sy * image.width + sx])
      return o <= number.count ? o : 0
    }
    var total = [Float](repeating: 0, count: number.count + 1)
    for y in 0..<map.height {
      for x in 0..<map.width where map.ink[y * map.width + x] > 0 { total[owner(x, y)] += map.ink[y * map.width + x] }
    }
    return candidates.list.enumerated().map { k, candidate in
      var inside = [Float](repeating: 0, count: number.count + 1)
      candidate.region.forEachPixel { x, y in inside[owner(x, y)] += map.ink[y * map.width + x] }
      let best = (1...number.count).max { inside[$0] < inside[$1] }!
      let foreign = inside[1...].reduce(0, +) - inside[best]
      let whole =
        total[best] > 0 && inside[best] >= wholeShare * total[best] && foreign <= foreignShare * inside[best]
      let pixels = Array(candidates.inputs[(k * MNISTShape.pixels)..<((k + 1) * MNISTShape.pixels)])
      return Piece(pixels: pixels, digit: whole ? number[best - 1] : nil)
    }
  }
}
