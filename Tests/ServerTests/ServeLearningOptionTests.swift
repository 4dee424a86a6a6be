import Foundation
import Hummingbird
import Testing
import _HTTPTesting
import _TestSupport

/// `digits serve`'s learning options as a user meets them: off the loopback learning is off
/// without --learning, and with it every learning call needs the token; bad token files and
/// contradictory flags are one line and no server.
@Suite struct ServeLearningOptionTests {
  @Test func badTokenOptions() throws {
    let folder = TemporaryDirectory()
    let short = folder.path + "/short", empty = folder.path + "/empty"
    try Data("abc\n".utf8).write(to: URL(fileURLWithPath: short))
    try Data().write(to: URL(fileURLWithPath: empty))
    for (args, says) in [
      (["--no-learning", "--token-file", short], "--token-file guards learning"),
      (["--token-file", folder.path + "/missing"], "\(folder.path)/missing: no such file"),
      (["--token-file", short], "\(short): holds no token of at least 16"),
      (["--token-file", empty], "\(empty): holds no token of at least 16"),
      (["--max-accuracy-drop", "-1"], "--max-accuracy-drop"),
    ] {
      let r = try CLIRunner.run(
        ["serve", "--backend", "cpu", "--port", "0", "--corrections", folder.path + "/corrections"] + args)
      #expect(r.status != 0, "\(args)")
      #expect(r.stderr.contains(says), "\(args): \(r.stderr)")
      #expect(!r.stdout.contains("Serving"), "\(args)")
    }
  }

  /// The port of a URL `http://HOST:PORT/...`.
  static func port(_ url: String) -> Int? {
    url.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) }
  }

  static func status(_ port: Int, _ path: String, token: String? = nil) async throws -> HTTPResponse.Status {
    var headers = HTTPFields()
    if let token { headers[.authorization] = "Bearer \(token)" }
    return try await TestClient(host: "127.0.0.1", port: port).execute(
      .init(path, method: .get, authority: "127.0.0.1:\(port)", headers: headers)
    ).status
  }

  /// Bound to every interface: without --learning the learning routes do not exist (404)
  /// while predictions are served; with --learning and a token file they answer 401 without
  /// the token and 200 with it.
  @Test func learningOffTheLoopback() async throws {
    let folder = TemporaryDirectory()
    let common = ["--host", "0.0.0.0", "--backend", "cpu", "--corrections", folder.path + "/corrections"]
    guard let off = try await ServedDigits.start(common) else { return }
    defer { off.stop() }
    let offPort = try #require(Self.port(off.url), "\(off.url)")
    #expect(try await Self.status(offPort, "/api/finetune") == .notFound)
    #expect(try await Self.status(offPort, "/api/health") == .ok)
    off.stop()

    let token = "0123456789abcdef0123456789abcdef"
    let file = folder.path + "/token"
    try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: file))
    guard let on = try await ServedDigits.start(common + ["--learning", "--token-file", file]) else { return }
    defer { on.stop() }
    let port = try #require(Self.port(on.url), "\(on.url)")
    #expect(try await Self.status(port, "/api/finetune") == .unauthorized)
    #expect(try await Self.status(port, "/api/finetune", token: String(token.dropLast())) == .unauthorized)
    #expect(try await Self.status(port, "/api/finetune", token: token) == .ok)
  }

  /// A server under test started without --corrections saves into a temporary folder of its
  /// own, never into the user's ~/.cache/digits/corrections.
  @Test func testServersKeepTheirOwnCorrections() async throws {
    guard let server = try await ServedDigits.start(["--backend", "cpu"]) else { return }
    defer { server.stop() }
    #expect(server.corrections.hasPrefix(NSTemporaryDirectory()), "\(server.corrections)")
    let port = try #require(Self.port(server.url), "\(server.url)")
    let response = try await TestClient(host: "127.0.0.1", port: port).execute(
      .init(
        "/api/corrections", method: .post, authority: "127.0.0.1:\(port)", headers: LearningTests.json,
        body: LearningTests.body(LearningTests.one, label: 1)))
    #expect(response.status == .created, "\(server.log())")
    let labels = (try? String(contentsOfFile: server.corrections + "/labels.csv", encoding: .utf8)) ?? ""
    #expect(labels.split(separator: "\n").count == 2, "labels.csv in \(server.corrections): \(labels)")
  }
}
