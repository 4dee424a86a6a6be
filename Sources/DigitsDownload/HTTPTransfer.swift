import CCurl
import DigitsCore
import Foundation

/// One HTTP GET streamed into a file, resuming at the file's current size with a Range
/// request, through libcurl (`CCurl`, loaded on the first download). The caller's thread
/// waits and polls `progress`; libcurl's thread only writes bytes and counts them.
final class HTTPTransfer: @unchecked Sendable {
  enum Outcome: Equatable {
    /// The whole body is in the file.
    case complete
    /// Worth another try on the same server (dropped connection, timeout, 5xx), keeping
    /// what arrived.
    case transient(String)
    /// This server will not serve the file (refused, unknown host, 404).
    case failed(String)
    /// The body is larger than `maxBytes`; what arrived is worthless.
    case tooLarge(String)
  }

  let url: URL
  let path: String
  let timeout: TimeInterval
  /// Most bytes the file may hold; a longer body is cut off (a hostile or broken mirror
  /// must not fill the disk).
  let maxBytes: Int64
  private let lock = NSLock()
  private let finished = DispatchSemaphore(value: 0)
  private var handle: FileHandle?
  private var received: Int64 = 0
  private var expected: Int64?
  private var outcome: Outcome?

  init(url: URL, path: String, timeout: TimeInterval, maxBytes: Int64) {
    self.url = url
    self.path = path
    self.timeout = timeout
    self.maxBytes = maxBytes
  }

  /// Bytes in the file so far and the full size when the server said.
  var progress: (received: Int64, expected: Int64?) { lock.withLock { (received, expected) } }

  /// Runs the request; `tick` is called about five times a second while it runs.
  func run(tick: () -> Void) -> Outcome {
    guard ccurl_available() != 0 else {
      return .failed("downloads need libcurl (libcurl.so.4; Debian and Ubuntu: apt-get install libcurl4)")
    }
    if !FileManager.default.fileExists(atPath: path) {
      guard FileManager.default.createFile(atPath: path, contents: nil) else { return .failed("cannot create \(path)") }
    }
    guard let handle = FileHandle(forUpdatingAtPath: path) else { return .failed("cannot open \(path)") }
    defer { try? handle.close() }
    let offset = Int64((try? handle.seekToEnd()) ?? 0)
    lock.withLock {
      self.handle = handle
      received = offset
    }
    // libcurl blocks the thread it runs on; this one keeps calling `tick`.
    let thread = Thread { [self] in
      defer { finished.signal() }
      var handlers = ccurl_handlers(
        context: Unmanaged.passUnretained(self).toOpaque(),
        response: { context, status, length, rangeStart in
          let transfer = Unmanaged<HTTPTransfer>.fromOpaque(context!).takeUnretainedValue()
          return transfer.respond(status: status, length: length, rangeStart: rangeStart) ? 0 : 1
        },
        body: { context, bytes, count in
          let transfer = Unmanaged<HTTPTransfer>.fromOpaque(context!).takeUnretainedValue()
          return transfer.receive(UnsafeRawBufferPointer(start: bytes, count: count)) ? 0 : 1
        })
      var message = [CChar](repeating: 0, count: 512)
      let seconds = max(1, Int(timeout.rounded(.up)))
      let code = ccurl_get(url.absoluteString, offset, seconds, &handlers, &message, message.count)
      let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      lock.withLock {
        guard outcome == nil else { return }
        if code != Int32(CURLE_OK.rawValue) {
          outcome = Self.classify(code, text)
        } else if let expected, received < expected {
          outcome = .transient("connection closed after \(received) of \(expected) bytes")
        } else {
          outcome = .complete
        }
      }
    }
    thread.start()
    while finished.wait(timeout: .now() + 0.2) == .timedOut { tick() }
    tick()
    return lock.withLock { outcome ?? .transient("no answer") }
  }

  /// The response's head: whether to take its body. `rangeStart`: the first byte of its
  /// Content-Range, -1 when none.
  func respond(status: Int, length: Int64, rangeStart: Int64) -> Bool {
    lock.withLock {
      let offset = received
      switch status {
      case 206 where offset > 0 && rangeStart == offset:
        expected = length >= 0 ? offset + length : nil
      case 200, 206:
        // The server ignored the Range (or sent another one): start the file again.
        do {
          try handle?.truncate(atOffset: 0)
        } catch {
          outcome = .failed("cannot truncate \(path)")
          return false
        }
        received = 0
        expected = length >= 0 ? length : nil
      case 416 where offset > 0:
        // Nothing after `offset`: the file was already whole when the last try stopped.
        outcome = .complete
        return false
      case 408, 429, 500...599:
        outcome = .transient("HTTP \(status)")
        return false
      default:
        outcome = .failed("HTTP \(status)")
        return false
      }
      if let expected, expected > maxBytes {
        outcome = .tooLarge("announces \(expected) bytes, more than \(maxBytes)")
        return false
      }
      return true
    }
  }

  /// The next bytes of the body, written to the file: whether to go on.
  func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
    lock.withLock {
      guard outcome == nil, let handle else { return false }
      guard received + Int64(bytes.count) <= maxBytes else {
        outcome = .tooLarge("sends more than \(maxBytes) bytes")
        return false
      }
      do {
        try handle.write(contentsOf: bytes)
        received += Int64(bytes.count)
        return true
      } catch {
        outcome = .failed("cannot write \(path) (\(error.localizedDescription))")
        return false
      }
    }
  }

  /// What libcurl's result `code` (with its `message`) means for another try.
  static func classify(_ code: Int32, _ message: String) -> Outcome {
    switch UInt32(bitPattern: code) {
    case CURLE_COULDNT_CONNECT.rawValue: return .failed("connection refused")
    case CURLE_COULDNT_RESOLVE_HOST.rawValue: return .failed("unknown host")
    case CURLE_UNSUPPORTED_PROTOCOL.rawValue, CURLE_URL_MALFORMAT.rawValue: return .failed("unsupported URL")
    case CURLE_SSL_CONNECT_ERROR.rawValue, CURLE_PEER_FAILED_VERIFICATION.rawValue, CURLE_SSL_CERTPROBLEM.rawValue,
      CURLE_SSL_CIPHER.rawValue, CURLE_SSL_CACERT_BADFILE.rawValue:
      return .failed("TLS failure (\(message))")
    case CURLE_OPERATION_TIMEDOUT.rawValue: return .transient("timed out")
    case CURLE_RECV_ERROR.rawValue, CURLE_SEND_ERROR.rawValue, CURLE_PARTIAL_FILE.rawValue, CURLE_GOT_NOTHING.rawValue:
      return .transient("connection lost")
    default: return .transient("network error \(code) (\(message))")
    }
  }
}
