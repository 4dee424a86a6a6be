import DigitsCore

/// What each layout does to a picture. Training on a folder (`ImageFolderDataset`) and
/// predicting on a picture must lay it out the same way; the model file records which.
extension ModelFile.Layout {
  /// 784 values in [0, 1], high on 0, or nil with the reason when the picture holds no ink
  /// (`mnist` only; `resize` takes any picture). `mnist`: ink found whatever the lighting or
  /// polarity, cropped, scaled into 20x20 and centred by mass, as `predict` reads a picture.
  /// `resize`: the whole picture stretched to 28x28 and inverted, so a light background
  /// becomes 0 as in Fashion-MNIST.
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
