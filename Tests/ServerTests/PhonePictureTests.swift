import DigitsServer
import Foundation
import Hummingbird
import Testing
import _HTTPTesting
import _TestSupport

/// `POST /api/predict` with pictures as phones and browsers save them (Tests/Pictures): a
/// portrait JPEG whose EXIF turns it upright, WebP and HEIC, each under the content types
/// OpenAPI lists for it, all read as the 7 they show.
@Suite struct PhonePictureTests {
  static func picture(_ name: String) throws -> Data {
    try Data(contentsOf: TestData.packageRoot.appendingPathComponent("Tests/Pictures/\(name)"))
  }

  @Test func phonePicturesAreReadUpright() async throws {
    let cases = [
      ("seven-orientation-6.jpg", "image/jpeg"), ("seven-orientation-8.jpg", "image/jpeg"),
      ("seven-orientation-5.jpg", "image/jpeg"), ("seven.webp", "image/webp"),
      ("seven-orientation-6.webp", "image/webp"), ("seven.heic", "image/heic"), ("seven-irot.heic", "image/heif"),
    ]
    try await ServerFixture.app().test(.router) { client in
      for (name, type) in cases {
        try await client.execute(
          uri: "/api/predict", method: .post, headers: [.contentType: type],
          body: ByteBuffer(bytes: try Self.picture(name))
        ) { response in
          #expect(response.status == .ok, "\(name): \(String(buffer: response.body))")
          let json = try ServerFixture.json(response)
          #expect(json["digit"] as? Int == 7, "\(name): \(json)")
        }
      }
    }
  }

  @Test func openAPIListsTheNewTypes() throws {
    let document = try #require(
      try JSONSerialization.jsonObject(with: Data(OpenAPI.text.utf8)) as? [String: Any])
    let paths = document["paths"] as? [String: [String: [String: Any]]]
    let body = paths?["/api/predict"]?["post"]?["requestBody"] as? [String: Any]
    let types = Set((body?["content"] as? [String: Any])?.keys.map { $0 } ?? [])
    #expect(types.isSuperset(of: ["image/webp", "image/heic", "image/heif"]), "\(types)")
  }
}
