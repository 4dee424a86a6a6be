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

  /// Whether a browser test can run here; when it cannot (only reached with CI=true, see
  /// `shouldRun`), records the failure naming what is missing.
  static func isReady() -> Bool {
    if isAvailable { return true }
    Issue.record("CI=true and the browser test cannot run: missing \(missing.joined(separator: ", "))")
    return false
  }

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

/// `digits serve --port 0` in a child process, with the URL it printed and its output.
struct ServedDigits {
  let process: Process
  let url: String
  /// The corrections folder it serves: a fresh temporary one unless the arguments name one.
  let corrections: String
  private let out: OutputCollector
  private let err: OutputCollector
  private let scratch: TemporaryDirectory

  /// Everything the server printed, for failure messages.
  func log() -> String { "server stdout:\n\(out.text)\nserver stderr:\n\(err.text)" }

  /// Kills the server if it still runs.
  func stop() { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

  /// Starts `digits serve --port 0` with `arguments` in the package root and waits for the
  /// http:// URL it prints (or its end; the hang guard bounds the wait); when none comes,
  /// records the issue with the server's output, stops it and returns nil.
  static func start(_ arguments: [String]) async throws -> ServedDigits? {
    let scratch = TemporaryDirectory()
    let process = Process()
    process.executableURL = CLIRunner.executable
    let full = servingOwnCorrections(["serve", "--port", "0"] + arguments, folder: scratch)
    process.arguments = full
    let corrections = full.firstIndex(of: "--corrections").map { full[$0 + 1] } ?? ""
    process.currentDirectoryURL = TestData.packageRoot
    let out = OutputCollector(), err = OutputCollector()
    process.standardOutput = out.pipe
    process.standardError = err.pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let urlPattern = try Regex("http://[^\\s]+")
    var url: String?
    let announced = await HangGuard.waitUntil {
      if let match = out.text.firstMatch(of: urlPattern) { url = String(out.text[match.range]) }
      return url != nil || !process.isRunning
    }
    let served = ServedDigits(
      process: process, url: url ?? "", corrections: corrections, out: out, err: err, scratch: scratch)
    guard announced, url != nil else {
      Issue.record(
        "digits serve printed no http:// URL (running: \(process.isRunning))\n\(served.log())")
      served.stop()
      return nil
    }
    return served
  }
}

/// A script of Tests/Browser run by python3 in the package root, stdout and stderr together.
struct BrowserScript {
  let process = Process()
  private let collected = OutputCollector()

  init(_ script: String, _ arguments: [String]) throws {
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script] + arguments
    process.currentDirectoryURL = TestData.packageRoot
    var environment = ProcessInfo.processInfo.environment
    environment["PYTHONUNBUFFERED"] = "1"
    process.environment = environment
    process.standardOutput = collected.pipe
    process.standardError = collected.pipe
    process.standardInput = FileHandle.nullDevice
  }

  /// Runs the script to its end (killed only when the hang guard runs out); returns whether
  /// it ended by itself.
  func run() async throws -> Bool {
    try process.run()
    let finished = await HangGuard.waitUntil { !process.isRunning }
    if !finished {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
    _ = await HangGuard.waitUntil { collected.isEnded }
    return finished
  }

  var output: String { collected.text }
  var status: Int32 { process.terminationStatus }
}

@Test(
  "the drawing page works in a real browser (headless Chromium)",
  .enabled(if: BrowserTestEnvironment.shouldRun, BrowserTestEnvironment.skipMessage), .heavy)
func drawingPageInRealBrowser() async throws {
  guard BrowserTestEnvironment.isReady() else { return }
  guard let server = try await ServedDigits.start(["--backend", "cpu"]) else { return }
  let (url, serverLog) = (server.url, server.log)
  defer { server.stop() }

  // The browser script.
  let browser = try BrowserScript(
    "Tests/Browser/draw_test.py",
    [
      "--url", url, "--screenshot", ".build/browser-test/screenshot.png", "--examples", "docs/examples",
      "--timeout", String(HangGuard.seconds),
    ])
  let finished = try await browser.run()
  #expect(finished, "draw_test.py ran past the hang guard and was killed\n\(browser.output)\n\(serverLog())")
  #expect(
    finished && browser.status == 0,
    "draw_test.py exited with status \(browser.status):\n\(browser.output)\n\(serverLog())")

  // A clean shutdown on SIGINT.
  let process = server.process
  process.interrupt()
  let stopped = await HangGuard.waitUntil { !process.isRunning }
  #expect(stopped, "digits serve still running after SIGINT\n\(serverLog())")
  if stopped {
    #expect(
      process.terminationReason == .exit && process.terminationStatus == 0,
      """
      digits serve ended with \(process.terminationReason == .exit ? "status" : "signal") \
      \(process.terminationStatus) after SIGINT, expected status 0
      \(serverLog())
      """)
  }
}
