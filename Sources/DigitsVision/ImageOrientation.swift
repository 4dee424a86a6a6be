/// How stored pixels must be turned to be seen upright: the eight values of the EXIF/TIFF
/// `Orientation` tag (0x0112). A phone keeps its sensor's landscape pixels and records the
/// way it was held here, so a portrait photo read without it is a digit on its side.
public enum ImageOrientation: Int, Sendable, CaseIterable {
  /// 1: as stored.
  case up = 1
  /// 2: mirrored left to right.
  case mirrored = 2
  /// 3: turned 180 degrees.
  case upsideDown = 3
  /// 4: mirrored top to bottom.
  case flipped = 4
  /// 5: mirrored along the main diagonal (rows become columns).
  case transposed = 5
  /// 6: turned 90 degrees clockwise to be seen upright.
  case turnedClockwise = 6
  /// 7: mirrored along the other diagonal.
  case transverse = 7
  /// 8: turned 90 degrees counter-clockwise to be seen upright.
  case turnedCounterClockwise = 8

  /// Whether the upright picture's width is the stored height.
  public var swapsSides: Bool { rawValue >= 5 }
}

extension GrayImage {
  /// The picture as it is meant to be seen, given how its pixels are stored.
  public func oriented(_ orientation: ImageOrientation) -> GrayImage {
    guard orientation != .up else { return self }
    let (w, h) = (width, height)
    let outWidth = orientation.swapsSides ? h : w, outHeight = orientation.swapsSides ? w : h
    // Upright pixel (x, y) comes from stored pixel (x0 + x * dx + y * dy): the stored index of
    // the upright picture's top-left pixel, then its steps along a row and down a column.
    let (x0, dx, dy): (Int, Int, Int) =
      switch orientation {
      case .up: (0, 1, w)
      case .mirrored: (w - 1, -1, w)
      case .upsideDown: (w * h - 1, -1, -w)
      case .flipped: ((h - 1) * w, 1, -w)
      case .transposed: (0, w, 1)
      case .turnedClockwise: ((h - 1) * w, -w, 1)
      case .transverse: (w * h - 1, -w, -1)
      case .turnedCounterClockwise: (w - 1, w, -1)
      }
    let out = pixels.withUnsafeBufferPointer { source in
      [Float](unsafeUninitializedCapacity: w * h) { target, initialized in
        for y in 0..<outHeight {
          var from = x0 + y * dy
          for x in 0..<outWidth {
            target[y * outWidth + x] = source[from]
            from += dx
          }
        }
        initialized = w * h
      }
    }
    return GrayImage(width: outWidth, height: outHeight, pixels: out)
  }
}
