import CPUBackend
import DefaultModel
import DigitsCore
import DigitsServer
import DigitsVision
import Foundation
import Hummingbird
import Testing
import _HTTPTesting
import _TestSupport

/// The API serving a model of other classes than the ten digits: the built-in model's
/// weights with the digits named as words and two more outputs that never win.
@Suite struct ClassNamesAPITests {
  static let names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "x", "y"]

  static func service() -> PredictionService {
    let model = ServerFixture.model.renamedForTests(names)
    return PredictionService(
      model: model, modelName: "words", classifier: DigitClassifier(model: model, backend: CPUBackend.make(threads: 1)),
      backendDescription: "cpu (1 thread)")
  }

  @Test func answersWithTheClassNameAndRefusesNumbers() async throws {
    try await ServerFixture.app(service: Self.service()).test(.router) { client in
      let (digit, png) = ServerFixture.drawn[1]
      try await client.execute(
        uri: "/api/predict", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: png)
      ) { response in
        #expect(response.status == .ok)
        let json = try ServerFixture.json(response)
        #expect(json["label"] as? String == Self.names[digit], "\(json)")
        #expect(ServerFixture.floats(json["probabilities"])?.count == 12)
      }
      try await client.execute(
        uri: "/api/predict?multi=1", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: png)
      ) { response in
        #expect(response.status == .badRequest)
        let json = try ServerFixture.json(response)
        #expect(
          (json["error"] as? String)?.hasPrefix("reading a number needs a model of the ten digits") == true, "\(json)")
      }
      try await client.execute(uri: "/api/model", method: .get) { response in
        let json = try ServerFixture.json(response)
        #expect(json["classes"] as? [String] == Self.names && json["dataset"] as? String == "words")
        #expect((json["architecture"] as? [[String: Any]])?.last?["units"] as? Int == 12, "\(json)")
      }
    }
  }
}
