import Hummingbird
import NIOCore
import NIOHTTP1
import NIOPosix

/// What a test gets back from the server.
public struct TestResponse: Sendable {
  public let status: HTTPResponse.Status
  public let headers: HTTPFields
  public let body: ByteBuffer
}

/// A client of the application under test (the interface of Hummingbird's own test client,
/// so test files read the same).
public protocol TestClientProtocol: Sendable {
  /// The port the server listens on.
  var port: Int? { get }
  func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws
    -> TestResponse
}

extension TestClientProtocol {
  /// Sends one request and hands its response to `check`.
  public func execute<Return>(
    uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil,
    _ check: (TestResponse) async throws -> Return
  ) async throws -> Return {
    try await check(executeRequest(uri: uri, method: method, headers: headers, body: body))
  }
}

/// An HTTP/1.1 client for tests. One client sends one request at a time, each on a connection
/// of its own (`Connection: close`), as Hummingbird's test client did over its one
/// connection; a test that wants many requests in flight makes many clients.
public struct TestClient: TestClientProtocol {
  public struct Configuration: Sendable {
    /// How long one request may take before it fails: by default a hang guard of 20 minutes,
    /// far above any machine, since a test's client may wait minutes for a CPU that the rest
    /// of the suite holds. A test proves answers, never how fast they came.
    public var timeout: Duration
    public init(timeout: Duration = .seconds(20 * 60)) { self.timeout = timeout }
  }

  public enum EventLoopGroupProvider: Sendable {
    case shared(any EventLoopGroup)
  }

  /// A request as `execute(_:)` takes it.
  public struct Request: Sendable {
    public var uri: String
    public var method: HTTPRequest.Method
    public var authority: String?
    public var headers: HTTPFields
    public var body: ByteBuffer?
    public init(
      _ uri: String, method: HTTPRequest.Method, authority: String? = nil, headers: HTTPFields = [:],
      body: ByteBuffer? = nil
    ) {
      (self.uri, self.method, self.authority, self.headers, self.body) = (uri, method, authority, headers, body)
    }
  }

  let host: String
  public let port: Int?
  let configuration: Configuration
  let group: any EventLoopGroup
  let turn = Turn()

  public init(
    host: String = "localhost", port: Int, configuration: Configuration = .init(),
    eventLoopGroupProvider: EventLoopGroupProvider = .shared(MultiThreadedEventLoopGroup.singleton)
  ) {
    guard case .shared(let group) = eventLoopGroupProvider else { fatalError("unreachable") }
    (self.host, self.port, self.configuration, self.group) = (host, port, configuration, group)
  }

  /// A client for the duration of `body` (connections are per request, so nothing to close).
  public static func withClient<Value>(
    host: String, port: Int, configuration: Configuration = .init(),
    eventLoopGroupProvider: EventLoopGroupProvider = .shared(MultiThreadedEventLoopGroup.singleton),
    _ body: (TestClient) async throws -> Value
  ) async throws -> Value {
    try await body(
      TestClient(host: host, port: port, configuration: configuration, eventLoopGroupProvider: eventLoopGroupProvider))
  }

  public func execute(_ request: Request) async throws -> TestResponse {
    try await send(request)
  }

  public func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?)
    async throws -> TestResponse
  {
    try await send(Request(uri, method: method, headers: headers, body: body))
  }

  func send(_ request: Request) async throws -> TestResponse {
    await turn.take()
    defer { Task { await turn.give() } }
    let loop = group.next()
    let answer = loop.makePromise(of: TestResponse.self)
    let timeout = loop.scheduleTask(in: .nanoseconds(Int64(configuration.timeout.components.seconds) * 1_000_000_000)) {
      answer.fail(TestClientError.timedOut)
    }
    defer { timeout.cancel() }
    let channel = try await ClientBootstrap(group: loop)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHTTPClientHandlers()
          try channel.pipeline.syncOperations.addHandler(ResponseCollector(answer))
        }
      }
      .connect(host: host, port: port ?? 0).get()
    var head = HTTPHeaders()
    head.add(name: "Host", value: request.authority ?? "\(host):\(port ?? 0)")
    head.add(name: "Connection", value: "close")
    for field in request.headers { head.add(name: field.name.rawName, value: field.value) }
    if let body = request.body {
      head.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
    } else if request.method == .post || request.method == .put {
      head.replaceOrAdd(name: "Content-Length", value: "0")
    }
    let method = NIOHTTP1.HTTPMethod(rawValue: request.method.rawValue)
    channel.write(
      HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: request.uri, headers: head)),
      promise: nil)
    if let body = request.body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    do {
      let response = try await answer.futureResult.get()
      channel.close(promise: nil)
      return response
    } catch {
      channel.close(promise: nil)
      throw error
    }
  }
}

public enum TestClientError: Error, CustomStringConvertible {
  case timedOut, closedEarly

  public var description: String {
    switch self {
    case .timedOut: "the request timed out"
    case .closedEarly: "the server closed the connection before the response ended"
    }
  }
}

/// Gathers one response's head and body, then completes the promise.
final class ResponseCollector: ChannelInboundHandler {
  typealias InboundIn = HTTPClientResponsePart

  let promise: EventLoopPromise<TestResponse>
  var head: HTTPResponseHead?
  var body = ByteBuffer()

  init(_ promise: EventLoopPromise<TestResponse>) { self.promise = promise }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let received):
      head = received
    case .body(var part):
      body.writeBuffer(&part)
    case .end:
      guard let head else { return promise.fail(TestClientError.closedEarly) }
      var fields = HTTPFields()
      for (name, value) in head.headers {
        if let field = HTTPFields.Element.Name(name) { fields.append(HTTPFields.Element(name: field, value: value)) }
      }
      let status = HTTPResponse.Status(code: Int(head.status.code), reasonPhrase: head.status.reasonPhrase)
      promise.succeed(TestResponse(status: status, headers: fields, body: body))
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    promise.fail(TestClientError.closedEarly)  // no effect once the response has completed it
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    promise.fail(error)
    context.close(promise: nil)
  }
}

/// One request at a time per client: the next waits until the one before has its answer.
actor Turn {
  var taken = false
  var waiting: [CheckedContinuation<Void, Never>] = []

  func take() async {
    guard taken else {
      taken = true
      return
    }
    await withCheckedContinuation { waiting.append($0) }
  }

  func give() {
    if waiting.isEmpty { taken = false } else { waiting.removeFirst().resume() }
  }
}
