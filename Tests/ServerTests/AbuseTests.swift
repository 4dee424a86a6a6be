import DigitsCore
import DigitsServer
import DigitsVision
import Foundation
import Hummingbird
import NIOPosix
import Synchronization
import Testing
import _HTTPTesting
import _TestSupport

/// The server under abuse: heavy pictures, bursts, foreign Host headers, a failing network.
@Suite struct AbuseTests {
  /// A 6-megapixel RGBA drawing: about 0.1 s of decoding and preparing on this machine.
  static let heavy: Data = {
    let side = 2449
    var image = GrayImage(width: side, height: side, value: 1)
    for y in (side / 5)..<(side / 5 + side / 12) {
      for x in (side / 4)..<(3 * side / 4) { image.pixels[y * side + x] = 0 }
    }
    return StrokeDrawing.png(image)
  }()

  /// /api/health is answered while 192 heavy predictions run: an answer sees at least 48
  /// of them in flight. Before decoding had threads of its own, health waited for all of them
  /// (it saw 0 or 1 still in flight). No time bound: the whole suite shares two cores.
  @Test(.heavy) func healthAnswersWhileHeavyRequestsRun() async throws {
    var limits = ServerFixture.limits
    limits.maxInFlight = 256
    let service = ServerFixture.makeService()
    try await ServerFixture.app(limits: limits, service: service).test(.live) { client in
      let port = try #require(client.port)
      let heavyLeft = Countdown(192)
      try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<192 {
          group.addTask {
            defer { heavyLeft.count.subtract(1, ordering: .relaxed) }
            let status = try await TestClient.withClient(
              host: "localhost", port: port, configuration: .init(),
              eventLoopGroupProvider: .shared(Self.clients)
            ) { heavyClient in
              try await heavyClient.execute(
                .init(
                  "/api/predict", method: .post, authority: "localhost",
                  headers: [.contentType: "image/png"], body: ByteBuffer(bytes: Self.heavy))
              ).status
            }
            #expect(status == .ok)
          }
        }
        // Every health request below starts while heavy ones are still running.
        var busiest = 0
        repeat {
          let inFlight = try await Self.health(client)["in_flight"] as? Int ?? 0
          busiest = max(busiest, inFlight)
        } while heavyLeft.count.load(ordering: .relaxed) > 0
        #expect(busiest >= 48, "health was answered only when \(busiest) heavy requests were left in flight")
        try await group.waitForAll()
      }
    }
  }

  /// The heavy requests' own event loop, so the test's clients do not take the server's.
  static let clients = MultiThreadedEventLoopGroup(numberOfThreads: 1)

  static func health(_ client: some TestClientProtocol) async throws -> [String: Any] {
    try await client.execute(uri: "/api/health", method: .get) { try ServerFixture.json($0) }
  }

  /// Beyond the in-flight cap a request gets 503 with Retry-After as soon as its body has
  /// arrived; when the place frees up, requests are answered again. The first prediction is
  /// held in the network, so it is in flight for as long as the test needs.
  @Test func burstBeyondTheCapIsTurnedAwayAtOnce() async throws {
    var limits = ServerFixture.limits
    limits.maxInFlight = 1
    let held = HeldNetwork(ServerFixture.cpuClassifier())
    let service = ServerFixture.makeService(network: held)
    try await ServerFixture.app(limits: limits, service: service).test(.live) { client in
      let port = try #require(client.port)
      let png = ServerFixture.drawn[0].png
      let head =
        "POST /api/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\nContent-Length: \(png.count)\r\n\r\n"
      let first = try RawHTTP(port: port)
      await first.send(Data(head.utf8) + png)
      while try await Self.health(client)["in_flight"] as? Int != 1 { await Task.yield() }

      let second = try RawHTTP(port: port)
      await second.send(Data(head.utf8) + png)
      let answer = await second.response()
      #expect(answer.hasPrefix("HTTP/1.1 503"), "\(answer)")
      #expect(answer.lowercased().contains("retry-after: 1"), "\(answer)")
      #expect(answer.contains(#"{"error":"the server is busy"#), "\(answer)")

      held.release()
      #expect(await first.response().hasPrefix("HTTP/1.1 200"))
      try await client.execute(
        uri: "/api/predict", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: png)
      ) { #expect($0.status == .ok) }
    }
  }

  /// Bound to loopback, requests addressed to another host (DNS rebinding) get 403; the
  /// loopback names pass with any port. Bound to every interface, any Host passes.
  @Test(arguments: [("127.0.0.1", true), ("0.0.0.0", false)])
  func foreignHostsAreRefusedOnLoopback(bound: String, refuses: Bool) async throws {
    try await ServerFixture.app(boundHost: bound).test(.live) { client in
      let port = try #require(client.port)
      let hosts = [
        "evil.example", "evil.example:\(port)", "localhost", "localhost:\(port)", "127.0.0.1:\(port)",
        "[::1]:\(port)", "LOCALHOST",
      ]
      for host in hosts {
        let connection = try RawHTTP(port: port)
        await connection.send("GET /api/health HTTP/1.1\r\nHost: \(host)\r\n\r\n")
        let answer = await connection.response()
        let foreign = host.hasPrefix("evil")
        let want = foreign && refuses ? "HTTP/1.1 403" : "HTTP/1.1 200"
        #expect(answer.hasPrefix(want), "Host \(host), bound to \(bound): \(answer.prefix(80))")
      }
    }
  }

  /// The network failing (an OpenCL error) answers that request 500 without the error's
  /// text, logs one line, and moves serving to the fallback: the next request is answered.
  @Test func failingNetworkMovesToTheFallback() async throws {
    let lines = Mutex<[String]>([])
    let service = ServerFixture.makeService(
      network: FailingNetwork(), fallback: { ServerFixture.cpuClassifier() },
      log: { line in lines.withLock { $0.append(line) } })
    let png = ByteBuffer(bytes: ServerFixture.drawn[0].png)
    try await ServerFixture.app(service: service).test(.router) { client in
      try await client.execute(uri: "/api/predict", method: .post, headers: [.contentType: "image/png"], body: png) {
        response in
        #expect(response.status == .internalServerError)
        let message = try ServerFixture.json(response)["error"] as? String
        #expect(message != nil && message?.contains(FailingNetwork.secret) == false, "\(message ?? "no error")")
      }
      try await client.execute(uri: "/api/predict", method: .post, headers: [.contentType: "image/png"], body: png) {
        response in
        #expect(response.status == .ok)
        let digit = try ServerFixture.json(response)["digit"] as? Int
        #expect(digit == 1)
      }
      let backend = try await Self.health(client)["backend"] as? String
      #expect(backend == "cpu (fallback)")
    }
    let logged = lines.withLock { $0 }
    #expect(logged.count == 1 && logged.first?.contains(FailingNetwork.secret) == true, "\(logged)")
  }
}

/// A network that fails like a GPU that went away.
final class FailingNetwork: ServingNetwork {
  static let secret = "CL_OUT_OF_RESOURCES at 0x7f3a"
  struct Lost: Error, CustomStringConvertible { var description: String { FailingNetwork.secret } }
  func classify(_ inputs: [Float]) throws -> [Float] { throw Lost() }
}

/// Heavy requests still running, shared by the tasks that send them.
final class Countdown: Sendable {
  let count: Atomic<Int>
  init(_ start: Int) { count = Atomic(start) }
}
