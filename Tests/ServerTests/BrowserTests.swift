import Foundation
import Testing
import _TestSupport

/// The real-browser test: `digits serve` in a child process, driven by headless Chromium
/// through Selenium (`Tests/Browser/draw_test.py`). It needs Debian's `chromium` and
/// `chromium-driver` and the `selenium` Python module: where one is missing the test is
/// skipped, except with CI=true, where it runs and fails saying what is missing.
enum BrowserTestEnvironment {
  static let isCI = TestEnvironment.isCI

  /// What the browser test needs and this machine lacks, each with how to install it.
  static let missing: [String] = {
    var missing: [String] = []
    if findExecutable(["chromium", "chromium-browser", "google-chrome"]) == nil {
      missing.append("chromium (apt-get install chromium)")
    }
    if findExecutable(["/usr/bin/chromedriver", "chromedriver"]) == nil {
      missing.append("chromedriver (apt-get install chromium-driver)")
    }
    if findExecutable(["python3"]) == nil {
      missing.append("python3 (apt-get install python3)")
    } else if (try? runQuietly(["python3", "-c", "import selenium"])) != 0 {
      missing.append("the selenium Python module (python3 -m pip install selenium)")
    }
    return missing
  }()

  static var isAvailable: Bool { missing.isEmpty }
  /// Whether the browser test runs: when everything is installed, and always on CI (where
  /// it then fails).
  static var shouldRun: Bool { isAvailable || isCI }

  static var skipMessage: Comment {
    Comment(
      rawValue: "browser test skipped: missing \(missing.joined(separator: ", ")); with CI=true it fails instead")
  }

  /// The first name that is an executable file: an absolute path as is, a bare name on $PATH.
  static func findExecutable(_ names: [String]) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for name in names {
      let candidates =
        name.hasPrefix("/") ? [name] : path.split(separator: ":").map { "\($0)/\(name)" }
      if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
        return found
      }
    }
    return nil
  }

  /// Runs a command found on $PATH with its output discarded; returns its exit status.
  static func runQuietly(_ command: [String]) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = command
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    p.standardInput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
  }
}

/// Collects everything a child writes to a pipe, on a background thread, so the child never
/// blocks on a full pipe; `text` can be read at any time.
final class OutputCollector: @unchecked Sendable {
  private let lock = NSLock()
  private var data = Data()
  private var ended = false
  let pipe = Pipe()

  init() {
    let handle = pipe.fileHandleForReading
    Thread.detachNewThread { [self] in
      while true {
        let chunk = handle.availableData
        lock.withLock {
          if chunk.isEmpty { ended = true } else { data.append(chunk) }
        }
        if chunk.isEmpty { return }
      }
    }
  }

  var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
  var isEnded: Bool { lock.withLock { ended } }
}

/// Polls `condition` every 50 ms until it holds or `seconds` pass; returns whether it held.
func waitUntil(seconds: Double, _ condition: () -> Bool) async -> Bool {
  let deadline = Date().addingTimeInterval(seconds)
  while !condition() {
    if Date() > deadline { return false }
    try? await Task.sleep(for: .milliseconds(50))
  }
  return true
}

@Test(
  "the drawing page works in a real browser (headless Chromium)",
  .enabled(if: BrowserTestEnvironment.shouldRun, BrowserTestEnvironment.skipMessage),
  .timeLimit(.minutes(3)))
func drawingPageInRealBrowser() async throws {
  guard BrowserTestEnvironment.isAvailable else {
    Issue.record(
      "CI=true and the browser test cannot run: missing \(BrowserTestEnvironment.missing.joined(separator: ", "))")
    return
  }
  let root = TestData.packageRoot

  // The server, on a free port.
  let server = Process()
  server.executableURL = CLIRunner.executable
  server.arguments = ["serve", "--port", "0", "--backend", "cpu"]
  server.currentDirectoryURL = root
  let serverOut = OutputCollector(), serverErr = OutputCollector()
  server.standardOutput = serverOut.pipe
  server.standardError = serverErr.pipe
  server.standardInput = FileHandle.nullDevice
  try server.run()
  defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
  func serverLog() -> String { "server stdout:\n\(serverOut.text)\nserver stderr:\n\(serverErr.text)" }

  let urlPattern = try Regex("http://[^\\s]+")
  var url: String?
  let announced = await waitUntil(seconds: 20) {
    if let match = serverOut.text.firstMatch(of: urlPattern) { url = String(serverOut.text[match.range]) }
    return url != nil || !server.isRunning
  }
  guard announced, let url else {
    Issue.record(
      "digits serve did not print its http:// URL within 20 s (running: \(server.isRunning))\n\(serverLog())")
    return
  }

  // The browser script.
  let browser = Process()
  browser.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  browser.arguments = [
    "python3", "Tests/Browser/draw_test.py", "--url", url,
    "--screenshot", ".build/browser-test/screenshot.png", "--examples", "docs/examples",
  ]
  browser.currentDirectoryURL = root
  var environment = ProcessInfo.processInfo.environment
  environment["PYTHONUNBUFFERED"] = "1"
  browser.environment = environment
  let browserOut = OutputCollector()
  browser.standardOutput = browserOut.pipe
  browser.standardError = browserOut.pipe
  browser.standardInput = FileHandle.nullDevice
  let started = Date()
  try browser.run()
  defer { if browser.isRunning { kill(browser.processIdentifier, SIGKILL) } }
  // Every wait in the script has its own 10 s timeout; this bounds the whole run.
  let finished = await waitUntil(seconds: 150) { !browser.isRunning }
  if !finished {
    kill(browser.processIdentifier, SIGKILL)
    browser.waitUntilExit()
  }
  _ = await waitUntil(seconds: 5) { browserOut.isEnded }
  let seconds = Date().timeIntervalSince(started)
  #expect(finished, "draw_test.py ran over 150 s and was killed\n\(browserOut.text)\n\(serverLog())")
  #expect(
    finished && browser.terminationStatus == 0,
    "draw_test.py exited with status \(browser.terminationStatus):\n\(browserOut.text)\n\(serverLog())")
  print("browser test: \(String(format: "%.1f", seconds)) s against \(url)")

  // A clean shutdown on SIGINT.
  server.interrupt()
  let stopped = await waitUntil(seconds: 10) { !server.isRunning }
  #expect(stopped, "digits serve still running 10 s after SIGINT\n\(serverLog())")
  if stopped {
    #expect(
      server.terminationReason == .exit && server.terminationStatus == 0,
      """
      digits serve ended with \(server.terminationReason == .exit ? "status" : "signal") \
      \(server.terminationStatus) after SIGINT, expected status 0
      \(serverLog())
      """)
  }
}
