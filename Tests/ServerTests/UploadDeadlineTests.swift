import DigitsServer
import Foundation
import Hummingbird
import Testing
import _HTTPTesting
import _TestSupport

/// Upload deadlines are kept by a timer: a body that stops arriving is answered 408 when the
/// deadline passes, not when (if ever) its next byte comes, and its prediction slot is free.
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

  /// With one prediction slot, a client that sends 4 bytes of a 1000-byte body and stops gets
  /// 408 at the deadline, and the slot is free again for the next client. The slot is read
  /// from /api/health, which has no body and so no deadline: a second upload under the 200 ms
  /// deadline could itself run out of time on a starved machine.
  @Test func stalledUploadGives408AndItsSlotBack() async throws {
    var limits = DigitsServer.Limits()
    limits.maxInFlight = 1
    limits.requestTimeout = .milliseconds(200)
    try await ServerFixture.app(limits: limits, service: ServerFixture.makeService()).test(.live) { client in
      let port = try #require(client.port)
      let slow = try RawHTTP(port: port)
      await slow.send(
        "POST /api/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n\u{89}PNG"
      )
      let answer = await slow.response()
      #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(200))")
      var inFlight = try await AbuseTests.health(client)["in_flight"] as? Int
      let deadline = ContinuousClock.now + HangGuard.duration
      while inFlight != 0 && ContinuousClock.now < deadline {
        await Task.yield()
        inFlight = try await AbuseTests.health(client)["in_flight"] as? Int
      }
      #expect(inFlight == 0, "the stalled upload still holds its prediction slot")
    }
  }
}
