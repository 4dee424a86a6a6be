import DigitsCore
import Foundation
import _TestSupport

/// A small MNIST folder (raw IDX files) cut from the shared copy, loaded in milliseconds by
/// every `digits train` a test starts; `changePixel` makes one that differs in one byte.
enum SmallMNIST {
  static let training = TestData.mnistTraining.slice(0..<1024)
  static let test = TestData.mnistTest.slice(0..<200)

  static func write(to folder: String, changePixel: Int? = nil) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var images = training.images
    if let changePixel { images[changePixel] ^= 0xFF }
    try idx(images, count: training.count, imageFile: true).write(
      to: URL(fileURLWithPath: folder + "/train-images-idx3-ubyte"))
    try idx(training.labels.map { UInt8($0) }, count: training.count, imageFile: false).write(
      to: URL(fileURLWithPath: folder + "/train-labels-idx1-ubyte"))
    try idx(test.images, count: test.count, imageFile: true).write(
      to: URL(fileURLWithPath: folder + "/t10k-images-idx3-ubyte"))
    try idx(test.labels.map { UInt8($0) }, count: test.count, imageFile: false).write(
      to: URL(fileURLWithPath: folder + "/t10k-labels-idx1-ubyte"))
  }

  /// IDX: two zero bytes, type 0x08 (unsigned byte), the number of dimensions, each
  /// dimension as a big-endian UInt32, then the bytes.
  static func idx(_ bytes: [UInt8], count: Int, imageFile: Bool) -> Data {
    let dimensions = imageFile ? [count, 28, 28] : [count]
    var d = Data([0, 0, 8, UInt8(dimensions.count)])
    for n in dimensions { d.append(contentsOf: withUnsafeBytes(of: UInt32(n).bigEndian) { Array($0) }) }
    d.append(contentsOf: bytes)
    return d
  }
}
