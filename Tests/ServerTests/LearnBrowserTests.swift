import Foundation
import Testing
import _TestSupport

/// The whole "teach it your handwriting" loop in headless Chromium (`Tests/Browser/learn_test.py`):
/// draw, correct, learn, draw again, right answer, undo. Same requirements and CI rule as
/// `drawingPageInRealBrowser`; the server gets an empty corrections folder and MNIST for replay.
@Test(
  "the page learns a writer's 1 in a real browser (headless Chromium)",
  .enabled(if: BrowserTestEnvironment.shouldRun, BrowserTestEnvironment.skipMessage), .heavy)
func learningLoopInRealBrowser() async throws {
  guard BrowserTestEnvironment.isReady() else { return }
  let corrections = TemporaryDirectory()
  guard
    let server = try await ServedDigits.start([
      "--backend", "cpu", "--corrections", corrections.path, "--data", TestData.mnistPath,
    ])
  else { return }
  defer { server.stop() }

  let browser = try BrowserScript(
    "Tests/Browser/learn_test.py",
    ["--url", server.url, "--screenshot", ".build/browser-test/learn.png", "--timeout", String(HangGuard.seconds)])
  let finished = try await browser.run()
  #expect(
    finished && browser.status == 0,
    "learn_test.py failed (status \(browser.status)):\n\(browser.output)\n\(server.log())")
  print(browser.output)
  let labels = (try? String(contentsOfFile: corrections.path + "/labels.csv", encoding: .utf8)) ?? ""
  #expect(labels.split(separator: "\n").count == 11, "labels.csv should hold a header and 10 corrections:\n\(labels)")
}
