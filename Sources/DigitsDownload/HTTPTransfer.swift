import DigitsCore
import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// One HTTP GET streamed into a file, resuming at the file's current size with a Range
/// request. The caller's thread waits and polls `progress`; URLSession's delegate queue
/// only writes bytes and counts them.
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
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

    var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
    if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = timeout
    configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
    let queue = OperationQueue()
    queue.maxConcurrentOperationCount = 1
    let session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
    session.dataTask(with: request).resume()
    while finished.wait(timeout: .now() + 0.2) == .timedOut { tick() }
    session.finishTasksAndInvalidate()
    tick()
    return lock.withLock { outcome ?? .transient("no answer") }
  }

  func urlSession(
    _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
  ) {
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    let disposition: URLSession.ResponseDisposition = lock.withLock {
      let offset = received
      switch status {
      case 206 where offset > 0 && Self.rangeStart(response) == offset:
        let length = response.expectedContentLength
        expected = length >= 0 ? offset + length : nil
        return .allow
      case 200, 206:
        // The server ignored the Range (or sent another one): start the file again.
        do {
          try handle?.truncate(atOffset: 0)
        } catch {
          outcome = .failed("cannot truncate \(path)")
          return .cancel
        }
        received = 0
        let length = response.expectedContentLength
        expected = length >= 0 ? length : nil
        return .allow
      case 416 where offset > 0:
        // Nothing after `offset`: the file was already whole when the last try stopped.
        outcome = .complete
        return .cancel
      case 408, 429, 500...599:
        outcome = .transient("HTTP \(status)")
        return .cancel
      default:
        outcome = .failed("HTTP \(status)")
        return .cancel
      }
    }
    let declared = lock.withLock { expected }
    if disposition == .allow, let declared, declared > maxBytes {
      lock.withLock { outcome = .tooLarge("announces \(declared) bytes, more than \(maxBytes)") }
      completionHandler(.cancel)
      return
    }
    completionHandler(disposition)
  }

  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
    let ok: Bool = lock.withLock {
      guard outcome == nil, let handle else { return true }
      guard received + Int64(data.count) <= maxBytes else {
        outcome = .tooLarge("sends more than \(maxBytes) bytes")
        return false
      }
      do {
        try handle.write(contentsOf: data)
        received += Int64(data.count)
        return true
      } catch {
        outcome = .failed("cannot write \(path) (\(error.localizedDescription))")
        return false
      }
    }
    if !ok { dataTask.cancel() }
  }

  func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
    lock.withLock {
      if outcome == nil {
        if let error {
          outcome = Self.classify(error)
        } else if let expected, received < expected {
          outcome = .transient("connection closed after \(received) of \(expected) bytes")
        } else {
          outcome = .complete
        }
      }
    }
    finished.signal()
  }

  /// N from a `Content-Range: bytes N-M/T` header.
  static func rangeStart(_ response: URLResponse) -> Int64? {
    guard let value = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Range") else { return nil }
    let parts = value.split(whereSeparator: { $0 == " " || $0 == "-" })
    guard parts.count >= 2, parts[0] == "bytes" else { return nil }
    return Int64(parts[1])
  }

  static func classify(_ error: any Error) -> Outcome {
    guard let error = error as? URLError else { return .transient(error.localizedDescription) }
    switch error.code {
    case .cannotConnectToHost: return .failed("connection refused")
    case .cannotFindHost, .dnsLookupFailed: return .failed("unknown host")
    case .notConnectedToInternet: return .failed("no network")
    case .unsupportedURL, .badURL: return .failed("unsupported URL")
    case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
      .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
      return .failed("TLS failure")
    case .timedOut: return .transient("timed out")
    case .networkConnectionLost: return .transient("connection lost")
    default: return .transient("network error \(error.code.rawValue)")
    }
  }
}
