import DigitsServer
import Foundation
import Hummingbird
import Testing
import _HTTPTesting
import _TestSupport

/// Upload deadlines are kept by a timer: a body that stops arriving is answered 408 when the
/// deadline passes, not when (if ever) its next byte comes, and while it waits it holds no
/// prediction slot, only the bytes it sent.
@Suite struct UploadDeadlineTests {
  static func status(_ work: () async throws -> ByteBuffer) async -> HTTPResponse.Status? {
    do {
      _ = try await work()
      return nil
    } catch let error as APIError {
      return error.status
    } catch {
      return nil
    }
  }

  /// A connection that sends 4 bytes of a 1000-byte picture and then nothing.
  static func stalledUpload(port: Int) async throws -> RawHTTP {
    let slow = try RawHTTP(port: port)
    await slow.send(
      "POST /api/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n\u{89}PNG"
    )
    return slow
  }

  /// A body complete but late is 408 (not merely some APIError); a body that never sends a
  /// byte is 408 once the deadline has passed, without waiting for one.
  @Test func lateAndSilentBodiesAre408() async {
    let limits = DigitsServer.Limits()
    let late = ContinuousClock.now - .seconds(1)
    let complete = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
      continuation.yield(ByteBuffer(repeating: 1, count: 10))
      continuation.finish()
    }
    #expect(
      await Self.status { try await DigitsServer.collect(complete, deadline: late, limits: limits) } == .requestTimeout)
    let (silent, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
    #expect(
      await Self.status { try await DigitsServer.collect(silent, deadline: late, limits: limits) } == .requestTimeout)
    continuation.finish()
  }

  /// Clients that send part of a body and stop hold no prediction slot: with 2 slots and 16
  /// such clients, a client that sends its whole picture gets its digit while they wait, and
  /// each of them gets 408 when the deadline passes. The deadline is one the fast client's
  /// body, sent in one piece, meets on any machine; were it missed, the stalled clients
  /// would free their slots by then and the test could only pass, never fail falsely.
  @Test func tricklingUploadsLeaveSlotsToAFastClient() async throws {
    var limits = DigitsServer.Limits()
    limits.maxInFlight = 2
    limits.requestTimeout = .seconds(3)
    try await ServerFixture.app(limits: limits, service: ServerFixture.makeService()).test(.live) { client in
      let port = try #require(client.port)
      var stalled: [RawHTTP] = []
      for _ in 0..<16 {
        stalled.append(try await Self.stalledUpload(port: port))
      }
      let (digit, png) = ServerFixture.drawn[1]
      try await client.execute(
        uri: "/api/predict", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: png)
      ) { response in
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        #expect((try? ServerFixture.json(response))?["digit"] as? Int == digit)
      }
      for slow in stalled {
        let answer = await slow.response()
        #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(200))")
      }
    }
  }

  /// Bodies still arriving share one budget of bytes: a body that would take it past its
  /// limit is 503 (not queued, not 413), and the bytes come back when a request ends.
  @Test func uploadsShareOneBudget() async throws {
    var limits = DigitsServer.Limits()
    limits.maxBodyBytes = 100
    let budget = UploadBudget(100)
    func body(_ size: Int) -> AsyncThrowingStream<ByteBuffer, any Error> {
      AsyncThrowingStream { continuation in
        continuation.yield(ByteBuffer(repeating: 1, count: size))
        continuation.finish()
      }
    }
    let deadline = ContinuousClock.now + HangGuard.duration
    let first = budget.share()
    _ = try await DigitsServer.collect(body(60), deadline: deadline, limits: limits, share: first)
    #expect(budget.current == 60)
    let second = budget.share()
    #expect(
      await Self.status { try await DigitsServer.collect(body(60), deadline: deadline, limits: limits, share: second) }
        == .serviceUnavailable)
    second.release()
    #expect(budget.current == 60, "a refused body kept bytes it was refused")
    first.release()
    #expect(budget.current == 0)
    _ = try await DigitsServer.collect(body(60), deadline: deadline, limits: limits, share: second)
    second.release()
    #expect(budget.current == 0)
  }
}
