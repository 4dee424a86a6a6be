import CPUBackend
import DigitsCore
import DigitsServer
import DigitsVision
import Foundation
import Hummingbird
import Testing
import _HTTPTesting
import _TestSupport

/// Who may teach the server: the Host, Origin and token checks on the learning routes, on
/// a bind to every interface as on loopback, and the MNIST check that keeps a fine-tune on
/// wrong labels from being served.
@Suite struct LearningAccessTests {
  /// A job over an empty corrections folder, replaying a small MNIST slice.
  final class Fixture: Sendable {
    let folder = TemporaryDirectory()
    let service = ServerFixture.makeService()
    let job: FinetuneJob

    init(
      recipe: Finetune.Recipe = Fixture.smallRecipe, policy: FinetuneJob.Policy = .init(),
      makeBackend: @escaping FinetuneJob.BackendMaker = { CPUBackend.make(threads: 1) }
    ) throws {
      let service = self.service
      job = FinetuneJob(
        store: try CorrectionStore(folder: folder.path), base: ServerFixture.model, baseName: "built-in model",
        recipe: recipe, policy: policy,
        loadData: {
          let data = DatasetFolder(path: TestData.mnistPath)
          return (try data.loadTraining().slice(0..<1000), try data.loadTest().slice(0..<500))
        },
        makeBackend: makeBackend,
        install: { model, name in
          service.serve(
            DigitClassifier(model: model, backend: CPUBackend.make(threads: 1), batchSize: 64), model: model,
            name: name,
            fallback: nil)
        })
    }

    static var smallRecipe: Finetune.Recipe {
      var recipe = Finetune.Recipe()
      recipe.replayImages = 256
      return recipe
    }

    func app(boundHost: String, access: LearningAccess) -> some ApplicationProtocol {
      Application(router: DigitsServer.router(service: service, boundHost: boundHost, learning: job, access: access))
    }
  }

  /// One request with the given Host (`authority`) and headers; the status and the error, if any.
  static func send(
    _ port: Int, _ path: String, method: HTTPRequest.Method = .get, host: String? = nil, headers: HTTPFields = [:],
    body: ByteBuffer? = nil
  ) async throws -> (status: HTTPResponse.Status, error: String?, headers: HTTPFields) {
    let response = try await TestClient(port: port).execute(
      .init(path, method: method, authority: host ?? "localhost:\(port)", headers: headers, body: body))
    return (response.status, LearningTests.object(response)["error"] as? String, response.headers)
  }

  static let correction = LearningTests.body(LearningTests.one, label: 1)

  /// Every learning route: each must refuse what the tests below send.
  static let learningRoutes: [(String, HTTPRequest.Method)] = [
    ("/api/corrections", .post), ("/api/finetune", .post), ("/api/finetune/undo", .post), ("/api/finetune", .get),
    ("/api/corrections", .get),
  ]

  /// Bound to every interface, learning calls addressed to a foreign host (DNS rebinding, or
  /// a name the server was not told of) get 403 and store nothing, while predictions and
  /// health still answer any Host; `--allowed-host` names pass.
  @Test func foreignHostIsRefusedOnEveryInterface() async throws {
    let fixture = try Fixture()
    let access = LearningAccess(boundHost: "0.0.0.0", extraHosts: ["MyBox.lan"])
    try await fixture.app(boundHost: "0.0.0.0", access: access).test(.live) { client in
      let port = try #require(client.port)
      for host in ["evil.example", "evil.example:\(port)", "localhost.evil.example"] {
        for (path, method) in Self.learningRoutes {
          let answer = try await Self.send(
            port, path, method: method, host: host, headers: LearningTests.json, body: Self.correction)
          #expect(answer.status == .forbidden, "\(method) \(path) for Host \(host): \(answer.status)")
          #expect(answer.error?.contains("Host") == true, "\(answer.error ?? "no error")")
        }
        #expect(try await Self.send(port, "/api/health", host: host).status == .ok)
      }
      #expect(fixture.job.store.count == 0)
      for host in ["localhost:\(port)", "127.0.0.1:\(port)", "[::1]:\(port)", "0.0.0.0:\(port)", "mybox.lan:\(port)"] {
        #expect(try await Self.send(port, "/api/finetune", host: host).status == .ok, "Host \(host)")
      }
      let saved = try await Self.send(
        port, "/api/corrections", method: .post, headers: LearningTests.json, body: Self.correction)
      #expect(saved.status == .created)
    }
  }

  /// A page of another site (Origin not this server's) gets 403 from every learning route;
  /// the server's own page, and clients that send no Origin, pass.
  @Test func foreignOriginIsRefused() async throws {
    let fixture = try Fixture()
    try await fixture.app(boundHost: "127.0.0.1", access: LearningAccess(boundHost: "127.0.0.1")).test(.live) {
      client in
      let port = try #require(client.port)
      for origin in ["http://evil.example", "http://localhost:\(port + 1)", "null", "http://localhost"] {
        var headers = LearningTests.json
        headers[.origin] = origin
        for (path, method) in Self.learningRoutes {
          let answer = try await Self.send(port, path, method: method, headers: headers, body: Self.correction)
          #expect(answer.status == .forbidden, "\(method) \(path) from \(origin): \(answer.status)")
          #expect(answer.error?.contains("Origin") == true, "\(answer.error ?? "no error")")
        }
      }
      #expect(fixture.job.store.count == 0)
      var own = LearningTests.json
      own[.origin] = "http://localhost:\(port)"
      let saved = try await Self.send(port, "/api/corrections", method: .post, headers: own, body: Self.correction)
      #expect(saved.status == .created)
    }
  }

  /// With a token, a learning call without it, or with another, gets 401 (with
  /// WWW-Authenticate) and changes nothing; with it, the call is answered. Predictions need
  /// no token.
  @Test func learningNeedsTheToken() async throws {
    let fixture = try Fixture()
    let token = LearningAccess.makeToken()
    #expect(token.count == 32 && token != LearningAccess.makeToken())
    let access = LearningAccess(boundHost: "0.0.0.0", token: token)
    try await fixture.app(boundHost: "0.0.0.0", access: access).test(.live) { client in
      let port = try #require(client.port)
      for authorization in [nil, "Bearer", "Bearer " + String(token.dropLast()), "Bearer \(token)x", token, "Basic x"] {
        var headers = LearningTests.json
        if let authorization { headers[.authorization] = authorization }
        for (path, method) in Self.learningRoutes {
          let answer = try await Self.send(port, path, method: method, headers: headers, body: Self.correction)
          #expect(answer.status == .unauthorized, "\(method) \(path), \(authorization ?? "none"): \(answer.status)")
          #expect(answer.headers[.wwwAuthenticate] == "Bearer")
          #expect(answer.error?.contains("token") == true, "\(answer.error ?? "no error")")
        }
      }
      #expect(fixture.job.store.count == 0)
      var headers = LearningTests.json
      headers[.authorization] = "Bearer \(token)"
      let saved = try await Self.send(port, "/api/corrections", method: .post, headers: headers, body: Self.correction)
      #expect(saved.status == .created)
      #expect(try await Self.send(port, "/api/finetune", headers: headers).status == .ok)
      let png = ByteBuffer(bytes: ServerFixture.drawn[0].png)
      let predicted = try await Self.send(
        port, "/api/predict", method: .post, headers: [.contentType: "image/png"], body: png)
      #expect(predicted.status == .ok)
    }
  }

  /// A fine-tune on corrections that are all mislabelled (each MNIST digit called the next
  /// one), weighted to dominate the mix, loses far more than half a point of MNIST test
  /// accuracy: it is written to models/ but not served, and the status says why.
  @Test func poisonedFinetuneIsNotServed() async throws {
    var recipe = Fixture.smallRecipe
    recipe.correctionShare = 0.9
    recipe.learningRate = 3e-3
    recipe.blend = 1
    let fixture = try Fixture(recipe: recipe)
    let digits = try DatasetFolder(path: TestData.mnistPath).loadTraining().slice(1000..<1200)
    for index in 0..<digits.count {
      let pixels = digits.images[(index * MNISTShape.pixels)..<((index + 1) * MNISTShape.pixels)]
      try fixture.job.store.add(
        input28: pixels.map { Float($0) / 255 }, label: (Int(digits.labels[index]) + 1) % MNISTShape.classes)
    }
    let access = LearningAccess(boundHost: "127.0.0.1")
    try await fixture.app(boundHost: "127.0.0.1", access: access).test(.router) { client in
      let port = try #require(client.port)
      let png = ByteBuffer(bytes: ServerFixture.drawn[1].png)
      func probabilities() async throws -> [Float]? {
        try await client.execute(uri: "/api/predict", method: .post, headers: [.contentType: "image/png"], body: png) {
          ServerFixture.floats(LearningTests.object($0)["probabilities"])
        }
      }
      let before = try await probabilities()
      let started = try await Self.send(port, "/api/finetune", method: .post, headers: LearningTests.json)
      #expect(started.status == .accepted)
      let status = await fixture.job.settled()
      #expect(status.state == "refused", "\(status)")
      #expect(status.model == "built-in model" && !status.canUndo)
      let message = status.message ?? ""
      #expect(message.contains("not served: MNIST test accuracy") && message.contains("0.50 points"), "\(message)")
      let kept = try FileManager.default.contentsOfDirectory(atPath: fixture.folder.path + "/models")
      #expect(kept.count == 1 && message.hasSuffix("kept as models/\(kept.first ?? "")"), "\(kept) \(message)")
      #expect(CorrectionFilesTests.mode(fixture.folder.path + "/models/\(kept.first ?? "")") == 0o600)
      #expect(try await probabilities() == before, "the refused model answers")
    }
  }
}
