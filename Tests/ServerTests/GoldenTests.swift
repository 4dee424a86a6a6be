import DigitsCore
import DigitsVision
import Foundation
import Hummingbird
import Testing
import _HTTPTesting
import _TestSupport

/// The API and `digits predict` are one pipeline: the same file gives the same 28x28 input,
/// the same probabilities to the last bit, and the same JSON, both ways.
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
          let body = String(decoding: response.body.readableBytesView, as: UTF8.self)
          #expect(cli.stdout == "{\"file\":\(JSONText.string(file))," + body.dropFirst() + "\n", "\(file)")
          let input = try #require(ServerFixture.floats(json["input28"]))
          // The debug PNG holds the input rounded to 8 bits.
          let worst = largestDifference(input, cliInput)
          #expect(input.count == 784 && worst <= 0.5 / 255 + 1e-6, "\(file): differs by \(worst)")
        }
      }
    }
  }

  /// The library entry `digits predict` runs (`PicturePredictor`) answers what the server
  /// sends: a digit, several digits read as one, a number, and blank.
  @Test func libraryAnswersAreTheAPIBodies() async throws {
    let folder = TemporaryDirectory()
    let blank = folder.path + "/blank.png"
    try PNG.grayscale([UInt8](repeating: 230, count: 100 * 100), width: 100, height: 100).write(
      to: URL(fileURLWithPath: blank))
    let examples = ["seven.png", "four.png", "number-2024.png", "number-touching.png", "numbers-form.png"].map {
      TestData.packageRoot.appendingPathComponent("docs/examples/\($0)").path
    }
    var kinds: Set<String> = []
    for multi in [false, true] {
      let predictor = PicturePredictor(
        classifier: ServerFixture.cpuClassifier(), multi: multi, judge: ServerFixture.judge)
      // One picture a call, as the server gets them: the network's last bits depend on the
      // batch it runs.
      for path in examples + [blank] {
        let outcomes = try predictor.read([.file(path)])
        guard outcomes.count == 1, case .answered(let file, let answer) = outcomes[0], file == path else {
          Issue.record("\(path) not read: \(outcomes)")
          continue
        }
        switch answer {
        case .digit(let digit): kinds.insert(digit.several == nil ? "digit" : "several")
        case .number: kinds.insert("number")
        case .blank: kinds.insert("blank")
        }
        try await ServerFixture.app().test(.router) { client in
          try await client.execute(
            uri: "/api/predict" + (multi ? "?multi=1" : ""), method: .post, headers: [.contentType: "image/png"],
            body: ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: file)))
          ) { response in
            #expect(response.status == .ok)
            let body = String(decoding: response.body.readableBytesView, as: UTF8.self)
            #expect(answer.json(classNames: ServerFixture.model.classNames) == body, "\(file), multi \(multi)")
          }
        }
      }
    }
    #expect(kinds == ["digit", "several", "number", "blank"])
  }
}
