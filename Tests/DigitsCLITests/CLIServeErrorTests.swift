import Foundation
import Testing
import _TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// `digits serve` refuses bad settings with one line and a non-zero exit, without starting.
@Suite struct CLIServeErrorTests {
  @Test func portInUse() throws {
    // Hold a port on 127.0.0.1 with a listening socket of our own.
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #expect(fd >= 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
        bind(fd, socketAddress, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, socketAddress, &length) == 0
      }
    }
    #expect(bound)
    let port = Int(UInt16(bigEndian: address.sin_port))

    let r = try CLIRunner.run(["serve", "--backend", "cpu", "--port", String(port)])
    #expect(r.status == 1)
    #expect(r.stderr.contains("Error: cannot listen on 127.0.0.1:\(port): the address is in use"), "\(r.stderr)")
    #expect(!r.stdout.contains("Serving"))
  }

  @Test func badSettings() throws {
    for (args, says) in [
      (["--port", "70000"], "--port"), (["--max-body-mb", "0"], "--max-body-mb"),
      (["--timeout", "0"], "--timeout"), (["--model", "/nonexistent.safetensors"], "no such file"),
      (["--max-megapixels", "0"], "--max-megapixels"), (["--max-in-flight", "0"], "--max-in-flight"),
      (["--max-connections", "0"], "--max-connections"),
    ] {
      let r = try CLIRunner.run(["serve", "--backend", "cpu"] + args)
      #expect(r.status != 0 && r.stderr.contains(says), "\(args): \(r.stderr)")
      #expect(!r.stdout.contains("Serving"), "\(args)")
    }
  }

  /// `serve --help` states the picture limit and what the largest picture costs in memory.
  @Test func helpStatesTheLimits() throws {
    let r = try CLIRunner.run(["serve", "--help"])
    #expect(r.status == 0)
    let text = r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    #expect(text.contains("--max-megapixels (default 6"), "\(r.stdout)")
    #expect(text.contains("about 90 MB"), "\(r.stdout)")
    #expect(text.contains("503 with Retry-After"), "\(r.stdout)")
  }
}
