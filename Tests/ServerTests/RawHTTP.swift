import Dispatch
import Foundation
import _TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// One HTTP/1.1 exchange over a plain socket, written by hand: for what a client library
/// will not send (a body that never finishes, any Host header). Blocking calls run on a
/// dispatch thread, never on Swift concurrency's pool, which the server under test needs.
final class RawHTTP: @unchecked Sendable {
  private let fd: Int32

  /// Connects to 127.0.0.1:`port`; a read gives up only when the hang guard runs out.
  init(port: Int) throws {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    var timeout = timeval(tv_sec: Int(HangGuard.seconds), tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else {
      close(fd)
      throw POSIXError(.ECONNREFUSED)
    }
  }

  deinit { close(fd) }

  func send(_ text: String) async { await send(Data(text.utf8)) }

  func send(_ data: Data) async {
    await offPool { _ = data.withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
  }

  /// Everything the server sends until it has sent the headers and Content-Length bytes of
  /// body, or closes (or the hang guard runs out).
  func response() async -> String {
    await offPool {
      var bytes = Data()
      var buffer = [UInt8](repeating: 0, count: 4096)
      while !Self.complete(bytes) {
        let n = recv(self.fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
      }
      return String(decoding: bytes, as: UTF8.self)
    }
  }

  static func complete(_ bytes: Data) -> Bool {
    guard let end = bytes.range(of: Data("\r\n\r\n".utf8)) else { return false }
    let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).lowercased()
    let length =
      head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
      .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
    return bytes.count - end.upperBound >= length
  }

  private func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
      DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
  }
}
