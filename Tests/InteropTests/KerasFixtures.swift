import Foundation
import _TestSupport

/// The committed Keras fixtures (Tests/Interop/make_keras_fixtures.py made them once with
/// TensorFlow/Keras) and what Keras itself said about them.
enum KerasFixtures {
  static let folder = TestData.packageRoot.appendingPathComponent("Tests/Interop/Fixtures").path
  static func path(_ name: String) -> String { folder + "/" + name }

  /// The seed CNN in each format Keras writes.
  static let seedFiles = ["seed.h5", "seed.keras", "seed.weights.h5"]

  /// seed.json: Keras' test accuracy and its classes for the first 1,000 test images.
  struct Facts: Decodable {
    var testAccuracy: Double
    var testImages: Int
    var first1000Predictions: [Int]
    enum CodingKeys: String, CodingKey {
      case testAccuracy = "test_accuracy", testImages = "test_images", first1000Predictions = "first_1000_predictions"
    }
  }

  static func facts() throws -> Facts {
    try JSONDecoder().decode(Facts.self, from: Data(contentsOf: URL(fileURLWithPath: path("seed.json"))))
  }
}
