import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// How a test reaches the application. Both run the real server on a free loopback port:
/// `.router` is kept as a name so tests read as before, and costs a few milliseconds more.
public enum TestingSetup: Sendable {
  case router, live
}

extension ApplicationProtocol {
  /// Runs the application on a free port of localhost, gives `test` a client of it, and
  /// stops the server when `test` returns or throws.
  ///
  /// This replaces HummingbirdTesting, whose AsyncHTTPClient and NIOSSL dependencies (BoringSSL
  /// among them) were most of the test build's time.
  public func test<Value>(_ setup: TestingSetup, _ test: (any TestClientProtocol) async throws -> Value)
    async throws -> Value
  {
    let app = OnFreePort(base: self)
    let server = ServiceGroup(
      configuration: .init(services: [app], gracefulShutdownSignals: [], cancellationSignals: [], logger: app.logger))
    return try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await server.run() }
      do {
        let port = try await app.port.value()
        let value = try await test(TestClient(port: port))
        await server.triggerGracefulShutdown()
        return value
      } catch {
        await server.triggerGracefulShutdown()
        throw error
      }
    }
  }
}

/// The application under test, bound to port 0 of localhost, telling the port it got.
struct OnFreePort<Base: ApplicationProtocol>: ApplicationProtocol {
  typealias Responder = Base.Responder

  let base: Base
  let port = PortBox()

  var responder: Responder { get async throws { try await base.responder } }
  var server: HTTPServerBuilder { base.server }
  var eventLoopGroup: any EventLoopGroup { base.eventLoopGroup }
  var configuration: ApplicationConfiguration { base.configuration.with(address: .hostname("localhost", port: 0)) }
  /// Warnings and worse only: a line per server start would bury the test output.
  var logger: Logger {
    var quiet = base.logger
    quiet.logLevel = .warning
    return quiet
  }
  var services: [any Service] { base.services }
  var processesRunBeforeServerStart: [@Sendable () async throws -> Void] { base.processesRunBeforeServerStart }

  @Sendable func onServerRunning(_ channel: any Channel) async {
    await base.onServerRunning(channel)
    port.set(channel.localAddress?.port)
  }
}

/// The port, once the server has bound it; waiters suspend until then.
final class PortBox: Sendable {
  enum State {
    case waiting([CheckedContinuation<Int, any Error>])
    case bound(Int)
    case failed
  }
  let state = Mutex(State.waiting([]))

  func set(_ port: Int?) {
    let waiters = state.withLock { state -> [CheckedContinuation<Int, any Error>] in
      guard case .waiting(let list) = state else { return [] }
      state = port.map(State.bound) ?? .failed
      return list
    }
    for waiter in waiters {
      if let port { waiter.resume(returning: port) } else { waiter.resume(throwing: TestClientError.closedEarly) }
    }
  }

  func value() async throws -> Int {
    try await withCheckedThrowingContinuation { continuation in
      let now = state.withLock { state -> Int?? in
        switch state {
        case .waiting(let list):
          state = .waiting(list + [continuation])
          return .none
        case .bound(let port): return .some(port)
        case .failed: return .some(nil)
        }
      }
      switch now {
      case .none: break
      case .some(.some(let port)): continuation.resume(returning: port)
      case .some(.none): continuation.resume(throwing: TestClientError.closedEarly)
      }
    }
  }
}
