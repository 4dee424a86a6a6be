import CPUBackend
import DigitsCore
import DigitsServer
import DigitsVision
import Dispatch
import Foundation
import Hummingbird
import Synchronization
import Testing
import _HTTPTesting
import _TestSupport

/// The corrections and fine-tune routes: what is saved on disk, the limits and error
/// answers, one fine-tune at a time, progress, the swap and its undo.
@Suite struct LearningTests {
  /// A job over a store in a fresh folder, replaying a small MNIST slice for one short epoch;
  /// `gate`, when given, holds the run at its start (loading data) until signalled.
  final class Fixture: Sendable {
    let folder = TemporaryDirectory()
    let service = ServerFixture.makeService()
    let store: CorrectionStore
    let job: FinetuneJob
    let installed = Installed()

    final class Installed: Sendable {
      private let models = Mutex<[ModelFile]>([])
      func append(_ model: ModelFile) { models.withLock { $0.append(model) } }
      var all: [ModelFile] { models.withLock { $0 } }
    }

    init(limits: CorrectionStore.Limits = .init(), gate: DispatchSemaphore? = nil) throws {
      store = try CorrectionStore(folder: folder.path, limits: limits)
      var recipe = Finetune.Recipe()
      recipe.epochs = 1
      recipe.replayImages = 256
      let service = self.service, installed = self.installed
      job = FinetuneJob(
        store: store, base: ServerFixture.model, baseName: "built-in model", recipe: recipe,
        loadData: {
          gate?.wait()
          let data = DatasetFolder(path: TestData.mnistPath)
          return (try data.loadTraining().slice(0..<1000), try data.loadTest().slice(0..<500))
        },
        makeBackend: { CPUBackend.make(threads: 1) },
        install: { model, name in
          installed.append(model)
          service.serve(
            DigitClassifier(model: model, backend: CPUBackend.make(threads: 1), batchSize: 64), model: model,
            name: name,
            fallback: nil)
        })
    }

    func app(limits: DigitsServer.Limits = ServerFixture.limits) -> some ApplicationProtocol {
      Application(router: DigitsServer.router(service: service, limits: limits, learning: job))
    }
  }

  /// A correction's JSON body.
  static func body(_ input: [Float], label: Int) -> ByteBuffer {
    ByteBuffer(string: "{\"input28\":[\(input.map { "\($0)" }.joined(separator: ","))],\"label\":\(label)}")
  }

  static let one: [Float] = {
    let image = StrokeDrawing.draw([[(0.5, 0.15), (0.5, 0.85)]], thickness: 7, size: 112)
    return DigitPreprocessor().prepare(image).pixels!
  }()

  static let json: HTTPFields = [.contentType: "application/json"]

  /// The response's JSON object, or an empty one (the expectations on it then fail).
  static func object(_ response: TestResponse) -> [String: Any] { (try? ServerFixture.json(response)) ?? [:] }

  @Test func correctionsAreSavedAsPNGsAndACSV() async throws {
    let fixture = try Fixture()
    try await fixture.app().test(.router) { client in
      for label in [1, 7] {
        try await client.execute(
          uri: "/api/corrections", method: .post, headers: Self.json, body: Self.body(Self.one, label: label)
        ) {
          #expect($0.status == .created)
          #expect(Self.object($0)["count"] as? Int == (label == 1 ? 1 : 2))
        }
      }
      try await client.execute(uri: "/api/corrections", method: .get) { response in
        #expect(Self.object(response)["count"] as? Int == 2)
      }
    }
    let csv = try String(contentsOfFile: fixture.folder.path + "/labels.csv", encoding: .utf8)
    let lines = csv.split(separator: "\n")
    #expect(lines.count == 3 && lines[0] == "file,label,time")
    #expect(lines[1].hasPrefix("c000001.png,1,") && lines[2].hasPrefix("c000002.png,7,"))
    let image = try ImageDecoder.read(path: fixture.folder.path + "/c000001.png")
    #expect(image.width == MNISTShape.side && image.height == MNISTShape.side)
    let loaded = try CorrectionFolder.load(folder: fixture.folder.path)
    #expect(loaded.labels == [1, 7])
    let expected = Self.one.map { UInt8(($0 * 255).rounded()) }
    #expect(Array(loaded.images[0..<MNISTShape.pixels]) == expected)
    // A new store on the same folder counts what is there and numbers on from it.
    let again = try CorrectionStore(folder: fixture.folder.path)
    #expect(again.count == 2)
    #expect(try again.add(input28: Self.one, label: 4).file == "c000003.png")
  }

  /// A correction the server cannot write (its folder replaced by a file) is a 500 whose
  /// body names no path of the server's: the error's text, which does, goes to the log.
  @Test func failedWriteAnswersNoPath() async throws {
    let fixture = try Fixture()
    try FileManager.default.removeItem(atPath: fixture.folder.path)
    try Data("not a folder".utf8).write(to: URL(fileURLWithPath: fixture.folder.path))
    try await fixture.app().test(.router) { client in
      try await client.execute(
        uri: "/api/corrections", method: .post, headers: Self.json, body: Self.body(Self.one, label: 1)
      ) { response in
        let body = String(buffer: response.body)
        #expect(response.status == .internalServerError, "\(body)")
        #expect(Self.object(response)["error"] as? String == "internal error (the server's log has the details)")
        #expect(!body.contains("/"), "\(body)")
      }
    }
  }

  @Test func badCorrectionsGetJSONErrors() async throws {
    var storeLimits = CorrectionStore.Limits()
    storeLimits.maxCount = 1
    let fixture = try Fixture(limits: storeLimits)
    let cases: [(name: String, type: String?, body: ByteBuffer, status: HTTPResponse.Status, says: String)] = [
      ("no content type", nil, Self.body(Self.one, label: 1), .unsupportedMediaType, "application/json"),
      (
        "form", "application/x-www-form-urlencoded", Self.body(Self.one, label: 1), .unsupportedMediaType,
        "application/json"
      ),
      ("not JSON", "application/json", ByteBuffer(string: "input28=1"), .badRequest, "expected JSON"),
      (
        "too few values", "application/json", Self.body(Array(Self.one.prefix(100)), label: 1), .badRequest,
        "holds 100 numbers"
      ),
      ("value above 1", "application/json", Self.body(Self.one.map { $0 * 2 }, label: 1), .badRequest, "0...1"),
      ("label 10", "application/json", Self.body(Self.one, label: 10), .badRequest, "digit 0-9"),
      ("label -1", "application/json", Self.body(Self.one, label: -1), .badRequest, "digit 0-9"),
      ("too large", "application/json", ByteBuffer(repeating: 0x20, count: 65 << 10), .contentTooLarge, "larger than"),
      ("finetune without JSON", "text/plain", ByteBuffer(), .unsupportedMediaType, "application/json"),
    ]
    try await fixture.app().test(.router) { client in
      for c in cases {
        var headers = HTTPFields()
        if let type = c.type { headers[.contentType] = type }
        let uri = c.name.hasPrefix("finetune") ? "/api/finetune" : "/api/corrections"
        try await client.execute(uri: uri, method: .post, headers: headers, body: c.body) { response in
          #expect(response.status == c.status, "\(c.name): \(response.status)")
          let message = Self.object(response)["error"] as? String
          #expect(message?.contains(c.says) == true, "\(c.name): \(message ?? "no error field")")
        }
      }
      #expect(fixture.store.count == 0)
      try await client.execute(
        uri: "/api/corrections", method: .post, headers: Self.json, body: Self.body(Self.one, label: 1)
      ) {
        #expect($0.status == .created)
      }
      try await client.execute(
        uri: "/api/corrections", method: .post, headers: Self.json, body: Self.body(Self.one, label: 1)
      ) {
        #expect($0.status == .conflict)
        #expect((Self.object($0)["error"] as? String)?.contains("full") == true)
      }
    }
  }

  @Test func badCorrectionFoldersGiveOneLineErrors() throws {
    let folder = TemporaryDirectory()
    let missing = folder.path + "/nothing"
    func error(_ path: String) -> String {
      do {
        _ = try CorrectionFolder.load(folder: path)
        return "no error"
      } catch { return "\(error)" }
    }
    #expect(error(missing).hasPrefix("\(missing): no such folder"))
    #expect(error(folder.path).contains("holds no labels.csv"))
    let csv = folder.path + "/labels.csv"
    try Data("file,label,time\n".utf8).write(to: URL(fileURLWithPath: csv))
    #expect(error(folder.path).contains("holds no corrections yet"))
    try Data("file,label,time\nc1.png,x,now\n".utf8).write(to: URL(fileURLWithPath: csv))
    #expect(error(folder.path) == "\(csv): line 2: label 'x' is not a digit 0-9")
    try Data("file,label,time\n../c1.png,1,now\n".utf8).write(to: URL(fileURLWithPath: csv))
    #expect(error(folder.path).contains("is not a .png file name in this folder"))
    try Data("name,digit\nc1.png,1\n".utf8).write(to: URL(fileURLWithPath: csv))
    #expect(error(folder.path).contains("does not start with the header"))
    try Data("file,label,time\nc1.png,1,now\n".utf8).write(to: URL(fileURLWithPath: csv))
    #expect(error(folder.path) == "\(folder.path)/c1.png: no such file")
    try PNG.grayscale([UInt8](repeating: 0, count: 100), width: 10, height: 10).write(
      to: URL(fileURLWithPath: folder.path + "/c1.png"))
    #expect(error(folder.path).hasSuffix("c1.png: is 10x10; corrections are 28x28"))
  }

  @Test func mixRepeatsCorrectionsToTheirShare() {
    let side = MNISTShape.side
    let corrections = LabeledImages(
      images: [UInt8](repeating: 9, count: 3 * side * side), labels: [1, 1, 7], rows: side, columns: side)
    let replay = LabeledImages(
      images: [UInt8](repeating: 0, count: 900 * side * side), labels: [LabeledImages.Label](repeating: 3, count: 900),
      rows: side, columns: side)
    var recipe = Finetune.Recipe()
    recipe.replayImages = 600
    recipe.correctionShare = 0.25
    let mix = Finetune.mix(corrections: corrections, replay: replay, recipe: recipe)
    #expect(mix.count == 800)
    #expect(mix.labels.filter { $0 == 3 }.count == 600)
    #expect(mix.labels.filter { $0 == 7 }.count == 66 && mix.labels.filter { $0 == 1 }.count == 134)
  }

  /// One fine-tune at a time; predictions are answered while it runs; when it ends the new
  /// model is served and written to disk; undo goes back once.
  @Test(.heavy) func finetuneRunsInTheBackgroundAndSwapsTheModel() async throws {
    let gate = DispatchSemaphore(value: 0)
    let fixture = try Fixture(gate: gate)
    let seven = try ServerFixture.example("seven.png")
    try await fixture.app().test(.router) { client in
      try await client.execute(uri: "/api/finetune", method: .post, headers: Self.json) { response in
        #expect(response.status == .conflict)
        #expect((Self.object(response)["error"] as? String)?.contains("no corrections yet") == true)
      }
      for label in [1, 1, 7] {
        try await client.execute(
          uri: "/api/corrections", method: .post, headers: Self.json, body: Self.body(Self.one, label: label)
        ) {
          #expect($0.status == .created)
        }
      }
      try await client.execute(uri: "/api/finetune", method: .post, headers: Self.json, body: ByteBuffer(string: "{}"))
      { response in
        #expect(response.status == .accepted)
        #expect(Self.object(response)["state"] as? String == "running")
      }
      try await client.execute(uri: "/api/finetune", method: .post, headers: Self.json) { response in
        #expect(response.status == .conflict)
        #expect((Self.object(response)["error"] as? String)?.contains("already running") == true)
      }
      try await client.execute(uri: "/api/finetune/undo", method: .post, headers: Self.json) {
        #expect($0.status == .conflict)
      }
      // Held at its start: still running, and predictions are answered meanwhile.
      func probabilities() async throws -> [Float] {
        try await client.execute(
          uri: "/api/predict", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: seven)
        ) {
          ServerFixture.floats(Self.object($0)["probabilities"]) ?? []
        }
      }
      let original = try await probabilities()
      #expect(original.count == MNISTShape.classes)
      try await client.execute(uri: "/api/finetune", method: .get) { response in
        let status = Self.object(response)
        #expect(status["state"] as? String == "running" && status["corrections"] as? Int == 3)
      }
      gate.signal()
      // Polled until it ends, however long that takes on this machine (the hang guard).
      var status: [String: Any] = [:]
      let deadline = ContinuousClock.now + HangGuard.duration
      repeat {
        status = try await client.execute(uri: "/api/finetune", method: .get) { Self.object($0) }
        if status["state"] as? String != "running" { break }
        try await Task.sleep(for: .milliseconds(50))
      } while ContinuousClock.now < deadline
      #expect(status["state"] as? String == "done", "\(status)")
      #expect(status["can_undo"] as? Bool == true && status["progress"] as? Double == 1)
      let name = try #require(status["model"] as? String)
      #expect(name.hasPrefix("models/finetuned-"))
      #expect(FileManager.default.fileExists(atPath: fixture.folder.path + "/" + name))
      #expect(fixture.installed.all.count == 1)
      #expect(fixture.installed.all.first?.facts?.recipe == "finetune")
      let learnt = try await probabilities()
      #expect(learnt.count == MNISTShape.classes && learnt != original, "the fine-tuned model does not answer")
      try await client.execute(uri: "/api/finetune/undo", method: .post, headers: Self.json) { response in
        #expect(response.status == .ok)
        let status = Self.object(response)
        #expect(status["model"] as? String == "built-in model" && status["can_undo"] as? Bool == false)
      }
      #expect(fixture.installed.all.count == 2)
      #expect(fixture.installed.all.last == ServerFixture.model)
      #expect(try await probabilities() == original, "after undo the built-in model does not answer")
      try await client.execute(uri: "/api/finetune/undo", method: .post, headers: Self.json) {
        #expect($0.status == .conflict)
      }
    }
  }
}
