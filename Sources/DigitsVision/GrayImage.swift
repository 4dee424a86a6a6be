import DigitsCore

/// A grayscale picture in memory: row-major luminance in [0, 1] (0 black, 1 white), any size.
/// Decoders produce it; the preprocessing turns it into the network's 28x28 input.
public struct GrayImage: Sendable, Equatable {
  public let width: Int
  public let height: Int
  public var pixels: [Float]

  public init(width: Int, height: Int, pixels: [Float]) {
    precondition(
      width >= 0 && height >= 0 && pixels.count == width * height,
      "GrayImage \(width)x\(height) needs \(width * height) pixels, got \(pixels.count)")
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// A uniform image of one luminance.
  public init(width: Int, height: Int, value: Float) {
    self.init(width: width, height: height, pixels: [Float](repeating: value, count: width * height))
  }

  /// 8-bit luminance bytes (0 black, 255 white).
  public init(width: Int, height: Int, bytes: [UInt8]) {
    self.init(width: width, height: height, pixels: bytes.map { Float($0) * (1.0 / 255.0) })
  }

  public subscript(x: Int, y: Int) -> Float {
    get { pixels[y * width + x] }
    set { pixels[y * width + x] = newValue }
  }

  public var isEmpty: Bool { width == 0 || height == 0 }

  /// The rectangle at (x, y), clamped to the picture.
  public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> GrayImage {
    let x0 = max(0, min(width, x)), y0 = max(0, min(height, y))
    let x1 = max(x0, min(width, x + w)), y1 = max(y0, min(height, y + h))
    var out = [Float]()
    out.reserveCapacity((x1 - x0) * (y1 - y0))
    for row in y0..<y1 { out += pixels[(row * width + x0)..<(row * width + x1)] }
    return GrayImage(width: x1 - x0, height: y1 - y0, pixels: out)
  }

  /// Luminance as bytes, rounded and clamped (for writing files).
  public var bytes: [UInt8] { pixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) } }

  /// The 28x28 network input (ink 1 on black 0, MNIST's polarity) as a picture of the same
  /// polarity, for `--debug-preprocess`.
  public static func networkInput(_ pixels: [Float]) -> GrayImage {
    precondition(pixels.count == MNISTShape.pixels)
    return GrayImage(width: MNISTShape.side, height: MNISTShape.side, pixels: pixels)
  }
}
