import CPUBackend
import DigitsCore
import DigitsServer
import Foundation
import Hummingbird
import Synchronization
import Testing
import _HTTPTesting
import _TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// A fine-tuned model is served calibrated and described; fine-tunes are bounded: one start
/// a minute (on a clock the test moves), the newest few models kept, a lower priority.
@Suite struct FinetunePolicyTests {
  /// A clock that moves only when the test says.
  final class ManualClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)
    var now: ContinuousClock.Instant { instant.withLock { $0 } }
    func advance(_ by: Duration) { instant.withLock { $0 += by } }
  }

  static func fixture(_ change: (inout FinetuneJob.Policy) -> Void = { _ in }) throws -> LearningAccessTests.Fixture {
    var policy = FinetuneJob.Policy()
    policy.maxAccuracyDrop = 1  // these tests are about what happens to models that are served
    change(&policy)
    var recipe = LearningAccessTests.Fixture.smallRecipe
    recipe.replayImages = 64
    let fixture = try LearningAccessTests.Fixture(recipe: recipe, policy: policy)
    for label in [1, 1, 7, 1, 7, 1] { try fixture.job.store.add(input28: LearningTests.one, label: label) }
    return fixture
  }

  static func startStatus(_ job: FinetuneJob) -> (HTTPResponse.Status?, String?) {
    do {
      _ = try job.start()
      return (nil, nil)
    } catch let error as APIError {
      return (error.status, error.headers[.retryAfter])
    } catch {
      return (.internalServerError, nil)
    }
  }

  /// A second start within a minute of the first is 429 with the seconds left in
  /// Retry-After; once the clock has moved a minute on, it starts.
  @Test func oneStartAMinute() async throws {
    let clock = ManualClock()
    let fixture = try Self.fixture { $0.now = { clock.now } }
    try fixture.job.start()
    #expect(await fixture.job.settled().state == "done")
    let first = Self.startStatus(fixture.job)
    #expect(first.0 == .tooManyRequests && first.1 == "60", "\(first)")
    clock.advance(.seconds(59) + .milliseconds(500))
    let second = Self.startStatus(fixture.job)
    #expect(second.0 == .tooManyRequests && second.1 == "1", "\(second)")
    clock.advance(.milliseconds(500))
    let third = Self.startStatus(fixture.job)
    #expect(third.0 == nil, "\(third)")
    #expect(await fixture.job.settled().state == "done")
  }

  /// With two kept, four fine-tunes leave two files in models/ and undo goes back through
  /// those two to the base model, then no further.
  @Test func onlyTheNewestModelsAreKept() async throws {
    let fixture = try Self.fixture {
      $0.keptModels = 2
      $0.minStartInterval = .zero
    }
    var names: [String] = []
    for _ in 0..<4 {
      try fixture.job.start()
      let status = await fixture.job.settled()
      #expect(status.state == "done", "\(status)")
      names.append(status.model)
    }
    let files = try FileManager.default.contentsOfDirectory(atPath: fixture.folder.path + "/models").sorted()
    #expect(files.map { "models/" + $0 } == Array(names.suffix(2)), "\(files) \(names)")
    #expect(try fixture.job.undo().model == names[2])
    let base = try fixture.job.undo()
    #expect(base.model == "built-in model" && !base.canUndo)
    #expect(throws: APIError.self) { try fixture.job.undo() }
  }

  /// The fine-tuned model answers with its own temperature and threshold, fitted after the
  /// run: the status and /api/model report them, and /api/model names the model answering,
  /// before and after undo.
  @Test func finetunedModelIsCalibratedAndDescribed() async throws {
    let fixture = try Self.fixture()
    let base = ServerFixture.model.effectiveCalibration
    try await fixture.app(boundHost: "127.0.0.1", access: LearningAccess(boundHost: "127.0.0.1")).test(.router) {
      client in
      func model() async throws -> [String: Any] {
        try await client.execute(uri: "/api/model", method: .get) { LearningTests.object($0) }
      }
      #expect(try await model()["name"] as? String == "built-in model")
      #expect(abs((try await model()["temperature"] as? Double ?? 0) - base.temperature) < 1e-9)
      try fixture.job.start()
      let status = await fixture.job.settled()
      #expect(status.state == "done", "\(status)")
      let file = try ModelFile.read(path: fixture.folder.path + "/" + status.model)
      let calibration = try #require(file.calibration)
      #expect(status.temperature == calibration.temperature && status.threshold == calibration.threshold)
      #expect(calibration != base, "the fine-tuned model kept the base model's calibration")
      let described = try await model()
      #expect(described["name"] as? String == status.model)
      // JSON numbers round the last digit.
      #expect(abs((described["temperature"] as? Double ?? 0) - calibration.temperature) < 1e-9)
      #expect(abs((described["threshold"] as? Double ?? 0) - calibration.threshold) < 1e-9)
      #expect(
        status.message?.contains("learnt from 6 corrections; calibrated on 100 MNIST images") == true, "\(status)")
      _ = try fixture.job.undo()
      #expect(try await model()["name"] as? String == "built-in model")
    }
  }

  /// Held out for calibration: every fifth correction (from 20 on) and the last tenth of the
  /// replay set.
  @Test func calibrationSplit() {
    let side = MNISTShape.side, p = MNISTShape.pixels
    let corrections = LabeledImages(
      images: (0..<20).flatMap { [UInt8](repeating: UInt8($0), count: p) },
      labels: (0..<20).map { LabeledImages.Label($0 % 10) },
      rows: side, columns: side)
    let replay = LabeledImages(
      images: [UInt8](repeating: 200, count: 100 * p), labels: [LabeledImages.Label](repeating: 3, count: 100),
      rows: side,
      columns: side)
    let split = Finetune.split(corrections: corrections, replay: replay)
    #expect(split.heldOutCorrections == 4 && split.corrections.count == 16)
    #expect(split.replay.count == 90 && split.calibration.count == 14)
    #expect(split.calibration.images[0] == 4 && split.calibration.images[p] == 9)
    #expect(Array(split.calibration.labels.prefix(5)) == [4, 9, 4, 9, 3])
    let few = Finetune.split(corrections: corrections.slice(0..<19), replay: replay)
    #expect(few.heldOutCorrections == 0 && few.corrections.count == 19)
  }

  /// A run that fails answers which step failed, never the error's text (it names files);
  /// the text goes to the log.
  @Test func failureIsLoggedNotAnswered() async throws {
    struct Secret: Error, CustomStringConvertible { var description: String { "/home/someone/private/mnist: EACCES" } }
    let folder = TemporaryDirectory()
    let logged = Mutex<[String]>([])
    let job = FinetuneJob(
      store: try CorrectionStore(folder: folder.path), base: ServerFixture.model, baseName: "built-in model",
      loadData: { throw Secret() }, makeBackend: { CPUBackend.make(threads: 1) }, install: { _, _ in },
      log: { line in logged.withLock { $0.append(line) } })
    try job.store.add(input28: LearningTests.one, label: 1)
    try job.start()
    let status = await job.settled()
    #expect(status.state == "failed")
    #expect(
      status.message
        == "could not load MNIST for replay (serve --data DIR says where it is) (the server's log has the details)")
    #expect(logged.withLock { $0.count == 1 && $0[0].contains(Secret().description) }, "\(logged.withLock { $0 })")
  }

  /// The fine-tune's thread, and so the backend it makes, runs at `FinetuneJob.niceness`.
  @Test func finetuneRunsAtALowerPriority() async throws {
    let seen = Mutex<Int32?>(nil)
    var recipe = LearningAccessTests.Fixture.smallRecipe
    recipe.replayImages = 64
    let fixture = try LearningAccessTests.Fixture(
      recipe: recipe,
      makeBackend: {
        errno = 0
        let nice = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        seen.withLock { $0 = nice }
        return CPUBackend.make(threads: 1)
      })
    try fixture.job.store.add(input28: LearningTests.one, label: 1)
    try fixture.job.start()
    let status = await fixture.job.settled()
    #expect(seen.withLock { $0 } == FinetuneJob.niceness, "\(status)")
  }
}
