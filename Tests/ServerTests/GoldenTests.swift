import DigitsCore
import DigitsVision
import Foundation
import Hummingbird
import Testing
import _HTTPTesting
import _TestSupport

/// The API and `digits predict` are one pipeline: the same file gives the same 28x28 input
/// and the same probabilities, to the last bit, both ways.
@Suite struct GoldenTests {
  @Test func apiAndPredictCommandAgree() async throws {
    let folder = TemporaryDirectory()
    var files: [String] = []
    for name in ["seven.png", "four.png"] {
      files.append(TestData.packageRoot.appendingPathComponent("docs/examples/\(name)").path)
    }
    for (digit, png) in ServerFixture.drawn {
      let path = folder.path + "/drawn-\(digit).png"
      try png.write(to: URL(fileURLWithPath: path))
      files.append(path)
    }

    for file in files {
      let debug = folder.path + "/seen-" + URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
      let cli = try CLIRunner.run([
        "predict", "--backend", "cpu", "--threads", "1", "--json", "--debug-preprocess", debug, file,
      ])
      #expect(cli.status == 0, "\(cli.stderr)")
      let line = try #require(JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])
      let cliProbabilities = try #require(ServerFixture.floats(line["probabilities"]))
      let cliDigit = line["digit"] as? Int
      let seenFile = try #require(try FileManager.default.contentsOfDirectory(atPath: debug).first)
      let cliInput = try ImageDecoder.read(path: debug + "/" + seenFile).pixels

      try await ServerFixture.app().test(.router) { client in
        let body = try Data(contentsOf: URL(fileURLWithPath: file))
        try await client.execute(
          uri: "/api/predict", method: .post, headers: [.contentType: "image/png"],
          body: ByteBuffer(bytes: body)
        ) { response in
          let json = try ServerFixture.json(response)
          #expect(json["digit"] as? Int == cliDigit, "\(file)")
          #expect(ServerFixture.floats(json["probabilities"]) == cliProbabilities, "\(file)")
          let input = try #require(ServerFixture.floats(json["input28"]))
          // The debug PNG holds the input rounded to 8 bits.
          let worst = largestDifference(input, cliInput)
          #expect(input.count == 784 && worst <= 0.5 / 255 + 1e-6, "\(file): differs by \(worst)")
        }
      }
    }
  }
}
