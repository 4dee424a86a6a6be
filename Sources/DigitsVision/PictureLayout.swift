import DigitsCore

/// How a picture of any size becomes the network's 28x28 input. Training on a folder and
/// predicting on a picture must use the same one, so the model file records it.
public enum PictureLayout: String, CaseIterable, Codable, Sendable {
  /// Ink found whatever the lighting or polarity, cropped, scaled into 20x20 and centred by
  /// mass, as MNIST was made and as `predict` reads a picture: for handwriting.
  case mnist
  /// The whole picture resized (stretched) to 28x28 and inverted, so a light background
  /// becomes 0 as in Fashion-MNIST: for photos of objects, where "ink" means nothing.
  case resize

  /// 784 values in [0, 1], high on 0, or nil with the reason when the picture holds no ink
  /// (the `mnist` layout only; `resize` takes any picture).
  public func field(_ image: GrayImage, preprocessor: DigitPreprocessor = DigitPreprocessor()) -> (
    pixels: [Float]?, note: String?
  ) {
    switch self {
    case .mnist:
      let prepared = preprocessor.prepare(image)
      return (prepared.pixels, prepared.note)
    case .resize:
      guard !image.isEmpty else { return (nil, "empty image") }
      let side = MNISTShape.side
      let small = Resample.area(image.pixels, width: image.width, height: image.height, toWidth: side, toHeight: side)
      return (small.map { 1 - max(0, min(1, $0)) }, nil)
    }
  }
}
