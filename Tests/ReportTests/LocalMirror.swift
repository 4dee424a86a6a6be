import Foundation
import _TestSupport

/// A throw-away HTTP server on 127.0.0.1 (python3's http.server with a small handler) that
/// plays several mirrors at once, one per path prefix, over the files in one folder:
///   /good/NAME      the file, honouring Range requests (206)
///   /corrupt/NAME   a valid gzip of the file's contents with one byte changed
///   /drop/NAME      the first request for NAME sends half the bytes and hangs up;
///                   later ones behave like /good
///   /norange/NAME   the file, always whole (200), ignoring Range
///   /nolength/NAME  the file whole, without Content-Length (the end of the body is the close)
///   /error500/NAME  HTTP 500 every time
/// anything else     404
/// `refusedPort` is a port nobody listens on (bound and closed by the script), for a mirror
/// that is down. Every request is appended to `log` as "PATH RANGE". The server exits when
/// the test process closes its stdin, so it never outlives the tests.
final class LocalMirror: @unchecked Sendable {
  let process = Process()
  let stdin = Pipe()
  let port: Int
  let refusedPort: Int
  let logPath: String
  let scratch = TemporaryDirectory()

  static let script = #"""
    import gzip, http.server, os, socket, sys, threading

    root, log_path = sys.argv[1], sys.argv[2]
    dropped = set()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            rng = self.headers.get("Range") or "-"
            with lock:
                with open(log_path, "a") as f:
                    f.write(f"{self.path} {rng}\n")
            parts = self.path.strip("/").split("/")
            if len(parts) != 2 or ".." in parts[1]:
                return self.send_error(404)
            mode, name = parts
            path = os.path.join(root, name)
            if mode == "error500":
                return self.send_error(500)
            if mode not in ("good", "corrupt", "drop", "norange", "nolength") or not os.path.isfile(path):
                return self.send_error(404)
            with open(path, "rb") as f:
                body = f.read()
            if mode == "corrupt":
                plain = bytearray(gzip.decompress(body))
                plain[len(plain) // 2] ^= 0xFF
                body = gzip.compress(bytes(plain), compresslevel=1)
            if mode == "drop":
                with lock:
                    first = name not in dropped
                    dropped.add(name)
                if first:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
            if mode == "nolength":
                self.send_response(200)
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True
                return
            start = 0
            if rng.startswith("bytes=") and mode != "norange":
                start = int(rng[6:].split("-")[0])
            if start >= len(body) and start > 0:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if start > 0:
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            self.wfile.write(body[start:])

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    refused = closed.getsockname()[1]
    closed.close()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], refused, flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    os._exit(0)
    """#

  /// Serves the files in `root`.
  init(root: String) throws {
    logPath = scratch.path + "/requests.log"
    FileManager.default.createFile(atPath: logPath, contents: nil)
    let scriptPath = scratch.path + "/mirror.py"
    try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
    let stdout = Pipe()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", scriptPath, root, logPath]
    process.standardInput = stdin
    process.standardOutput = stdout
    try process.run()
    // First line: "<port> <refused port>".
    var line = Data()
    while true {
      let byte = stdout.fileHandleForReading.readData(ofLength: 1)
      if byte.isEmpty || byte == Data("\n".utf8) { break }
      line += byte
    }
    let numbers = String(decoding: line, as: UTF8.self).split(separator: " ").compactMap { Int($0) }
    guard numbers.count == 2 else {
      process.terminate()
      throw MirrorError(message: "the python3 test server did not start (is python3 installed?)")
    }
    (port, refusedPort) = (numbers[0], numbers[1])
  }

  deinit {
    try? stdin.fileHandleForWriting.close()
    process.waitUntilExit()
  }

  struct MirrorError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
  }

  /// Base URL of one mode, e.g. `url("good")` = http://127.0.0.1:PORT/good/.
  func url(_ mode: String) -> URL { URL(string: "http://127.0.0.1:\(port)/\(mode)/")! }
  var downURL: URL { URL(string: "http://127.0.0.1:\(refusedPort)/good/")! }

  /// Requests so far, as "PATH RANGE" lines.
  var log: [String] {
    (try? String(contentsOfFile: logPath, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
  }
}
