import DigitsCore
import DigitsVision
import Foundation
import _TestSupport

/// The MNIST test set, loaded once for every test in this target.
enum MNISTSamples {
  /// Missing data fails the tests that use it, with the path (see `TestData.loadMNIST`).
  static let test = TestData.mnistTest
  static let training = TestData.mnistTraining

  /// Image `index` as ink values (0...1, ink 1).
  static func ink(_ set: LabeledImages, _ index: Int) -> [Float] {
    set.images[(index * 784)..<((index + 1) * 784)].map { Float($0) / 255 }
  }

  /// Image `index` as a picture in MNIST's own polarity (white ink on black).
  static func picture(_ set: LabeledImages, _ index: Int) -> GrayImage {
    GrayImage(width: 28, height: 28, pixels: ink(set, index))
  }

  /// `count` indices spread evenly over the set (a fixed, class-balanced-enough sample).
  static func spread(_ count: Int, of set: LabeledImages = test, offset: Int = 0) -> [Int] {
    (0..<count).map { (offset + $0 * set.count / count) % set.count }
  }
}

/// Where the ink of a 28x28 image lies: its centre of mass and bounding box (pixels > 0).
struct InkGeometry {
  var mass: Float = 0
  var centre: (x: Float, y: Float) = (0, 0)
  var box: (x0: Int, x1: Int, y0: Int, y1: Int) = (28, -1, 28, -1)

  init(_ ink: [Float]) {
    var mx: Float = 0, my: Float = 0
    for y in 0..<28 {
      for x in 0..<28 where ink[y * 28 + x] > 0 {
        let v = ink[y * 28 + x]
        mass += v
        mx += v * Float(x)
        my += v * Float(y)
        box = (min(box.x0, x), max(box.x1, x), min(box.y0, y), max(box.y1, y))
      }
    }
    centre = (mx / mass, my / mass)
  }
}
