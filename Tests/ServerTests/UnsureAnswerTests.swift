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

/// `POST /api/predict` saying what it does not know: `"reason": "unsure"` with the two
/// likeliest digits below the threshold, `"several"` for a number sent without multi=1,
/// `"blank"` for no ink.
@Suite struct UnsureAnswerTests {
  static func service(minConfidence: Double?) -> PredictionService {
    PredictionService(
      model: ServerFixture.model, modelName: DefaultModel.name, classifier: ServerFixture.cpuClassifier(),
      backendDescription: "cpu (1 thread)", minConfidence: minConfidence)
  }

  static func post(_ png: Data, service: PredictionService) async throws -> [String: Any] {
    let body = try await ServerFixture.app(service: service).test(.router) { client in
      try await client.execute(
        uri: "/api/predict", method: .post, headers: [.contentType: "image/png"],
        body: ByteBuffer(bytes: png)
      ) { response in
        #expect(response.status == .ok)
        return Data(response.body.readableBytesView)
      }
    }
    return try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
  }

  @Test func belowTheThresholdIsUnsure() async throws {
    let json = try await Self.post(try ServerFixture.example("seven.png"), service: Self.service(minConfidence: 1))
    #expect(json["digit"] is NSNull && json["label"] is NSNull && json["reason"] as? String == "unsure", "\(json)")
    let candidates = try #require(json["candidates"] as? [[String: Any]])
    #expect(candidates.count == 2 && candidates.first?["digit"] as? Int == 7)
    let top = try #require(candidates.first?["confidence"] as? Double)
    #expect(json["confidence"] as? Double == top)
    #expect(
      ServerFixture.floats(json["probabilities"])?.count == 10 && ServerFixture.floats(json["input28"])?.count == 784)
  }

  @Test func theModelsThresholdAnswersAClearDigit() async throws {
    let json = try await Self.post(try ServerFixture.example("seven.png"), service: Self.service(minConfidence: nil))
    #expect(json["digit"] as? Int == 7 && json["reason"] == nil, "\(json)")
  }

  @Test func severalDigitsWithoutMulti() async throws {
    let json = try await Self.post(try ServerFixture.example("number-2024.png"), service: ServerFixture.service)
    #expect(
      json["digit"] is NSNull && json["reason"] as? String == "several" && json["number"] as? String == "2024",
      "\(json)")
  }

  @Test func blankSaysBlank() async throws {
    let blank = StrokeDrawing.png(GrayImage(width: 280, height: 280, value: 1))
    let json = try await Self.post(blank, service: ServerFixture.service)
    #expect(json["digit"] is NSNull && json["reason"] as? String == "blank", "\(json)")
  }
}
