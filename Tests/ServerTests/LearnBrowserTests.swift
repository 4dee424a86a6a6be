import Foundation
import Testing
import _TestSupport

/// The whole "teach it your handwriting" loop in headless Chromium (`Tests/Browser/learn_test.py`):
/// draw, correct, learn, draw again, right answer, undo. Same requirements and CI rule as
/// `drawingPageInRealBrowser`; the server gets an empty corrections folder and MNIST for replay.
@Test(
  "the page learns a writer's 1 in a real browser (headless Chromium)",
  .enabled(if: BrowserTestEnvironment.shouldRun, BrowserTestEnvironment.skipMessage),
  .timeLimit(.minutes(5)))
func learningLoopInRealBrowser() async throws {
  guard BrowserTestEnvironment.isAvailable else {
    Issue.record(
      "CI=true and the browser test cannot run: missing \(BrowserTestEnvironment.missing.joined(separator: ", "))")
    return
  }
  let root = TestData.packageRoot
  let corrections = TemporaryDirectory()
  let server = Process()
  server.executableURL = CLIRunner.executable
  server.arguments = [
    "serve", "--port", "0", "--backend", "cpu", "--corrections", corrections.path, "--data", TestData.mnistPath,
  ]
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
    Issue.record("digits serve did not print its http:// URL within 20 s\n\(serverLog())")
    return
  }

  let browser = Process()
  browser.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  browser.arguments = [
    "python3", "Tests/Browser/learn_test.py", "--url", url, "--screenshot", ".build/browser-test/learn.png",
  ]
  browser.currentDirectoryURL = root
  var environment = ProcessInfo.processInfo.environment
  environment["PYTHONUNBUFFERED"] = "1"
  browser.environment = environment
  let browserOut = OutputCollector()
  browser.standardOutput = browserOut.pipe
  browser.standardError = browserOut.pipe
  browser.standardInput = FileHandle.nullDevice
  try browser.run()
  defer { if browser.isRunning { kill(browser.processIdentifier, SIGKILL) } }
  // The script's own waits are bounded (the fine-tune by 120 s); this bounds the whole run.
  let finished = await waitUntil(seconds: 240) { !browser.isRunning }
  if !finished {
    kill(browser.processIdentifier, SIGKILL)
    browser.waitUntilExit()
  }
  _ = await waitUntil(seconds: 5) { browserOut.isEnded }
  #expect(
    finished && browser.terminationStatus == 0,
    "learn_test.py failed (status \(browser.terminationStatus)):\n\(browserOut.text)\n\(serverLog())")
  print(browserOut.text)
  let labels = (try? String(contentsOfFile: corrections.path + "/labels.csv", encoding: .utf8)) ?? ""
  #expect(labels.split(separator: "\n").count == 11, "labels.csv should hold a header and 10 corrections:\n\(labels)")
}
