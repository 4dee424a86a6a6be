import DigitsCore
import DigitsVision
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// "Learn from my corrections": fine-tunes the served model on the corrections in the
/// background (a thread of its own at a lower priority, a backend of its own, so predictions
/// keep being answered first), one run at a time and at most one start a minute, then swaps
/// the new model in, calibrated (`Finetune.runCalibrated`). Every fine-tuned model is
/// written to `models/` inside the corrections folder and the base model is never touched;
/// `undo` goes back to the model served before the last swap. Only the newest
/// `Policy.keptModels` fine-tuned models stay, on disk and in memory. A model whose MNIST test
/// accuracy falls more than `maxAccuracyDrop` below the base model's (on the same images) is
/// written but not served: wrong labels, by mistake or on purpose, cannot take the server
/// down with them.
///
/// Each run starts from the base model (the one `serve` started with) with all corrections
/// so far, so runs do not compound each other's drift and the result does not depend on
/// how often someone pressed the button.
public final class FinetuneJob: Sendable {
  /// What `GET /api/finetune` answers.
  public struct Status: Codable, Sendable, Equatable {
    /// idle, running, done, refused (written but not served; `message` says why) or failed
    /// (of the latest run).
    public var state: String
    /// While running: loading data, training, evaluating, swapping.
    public var phase: String?
    /// 0...1 of the latest run.
    public var progress: Double
    public var corrections: Int
    /// The model answering predictions now.
    public var model: String
    public var canUndo: Bool
    /// Why the latest run failed, or what it did.
    public var message: String?
    public var seconds: Double?
    /// The MNIST test accuracy of the model answering now, where known.
    public var mnistTestAccuracy: Double?
    /// The temperature and unsure threshold of the model answering now (1 and 0: none).
    public var temperature: Double
    public var threshold: Double

    enum CodingKeys: String, CodingKey {
      case state, phase, progress, corrections, model, message, seconds, temperature, threshold
      case canUndo = "can_undo", mnistTestAccuracy = "mnist_test_accuracy"
    }
  }

  /// MNIST's training set (replayed) and test set (to say what a fine-tune cost there).
  public typealias DataLoader = @Sendable () throws -> (train: LabeledImages, test: LabeledImages)
  /// A backend for one fine-tune run.
  public typealias BackendMaker = @Sendable () throws -> any Backend
  /// Puts a model in service under a name (builds its network on the serving backend and
  /// hands it to the batches); throws if it cannot.
  public typealias Installer = @Sendable (ModelFile, String) throws -> Void

  /// How far and how often a job may change the served model.
  public struct Policy: Sendable {
    /// Largest fall in MNIST test accuracy (a fraction: 0.005 is half a point) below the
    /// base model's for a fine-tuned model to be served.
    public var maxAccuracyDrop = 0.005
    /// Fine-tuned models kept: the newest files in models/, and the ones undo goes back
    /// through (each 0.9 MB).
    public var keptModels = 3
    /// Shortest time from one start to the next (429 sooner).
    public var minStartInterval: Duration = .seconds(60)
    /// The clock starts are timed by; tests move their own.
    public var now: @Sendable () -> ContinuousClock.Instant = { .now }
    public init() {}
  }

  /// Nice value of the fine-tune's thread and the backend threads it starts: requests'
  /// threads (nice 0, decoding 3) get the cores first.
  public static let niceness: Int32 = 10

  public let store: CorrectionStore
  let base: ModelFile
  let baseName: String
  let loadData: DataLoader
  let makeBackend: BackendMaker
  let install: Installer
  let recipe: Finetune.Recipe
  let policy: Policy
  /// Gets why a run failed; the answer says only which step failed (errors name files).
  let log: @Sendable (String) -> Void

  private struct Served {
    let name: String
    let model: ModelFile
  }

  private struct State {
    var status: Status
    /// Models served, the base first; the last one answers now.
    var stack: [Served]
    var data: (train: LabeledImages, test: LabeledImages)?
    /// The base model's accuracy on `data.test`, measured once.
    var baseAccuracy: Double?
    /// Callers of `settled()` waiting for the run to end.
    var waiters: [CheckedContinuation<Status, Never>] = []
    var runs = 0
    var lastStart: ContinuousClock.Instant?
  }

  private let state: Mutex<State>

  public init(
    store: CorrectionStore, base: ModelFile, baseName: String, recipe: Finetune.Recipe = Finetune.Recipe(),
    policy: Policy = Policy(), loadData: @escaping DataLoader,
    makeBackend: @escaping BackendMaker, install: @escaping Installer,
    log: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.log = log
    self.store = store
    self.policy = policy
    self.base = base
    self.baseName = baseName
    self.recipe = recipe
    self.loadData = loadData
    self.makeBackend = makeBackend
    self.install = install
    let status = Status(
      state: "idle", phase: nil, progress: 0, corrections: store.count, model: baseName, canUndo: false,
      message: nil, seconds: nil, mnistTestAccuracy: Self.testAccuracy(base),
      temperature: base.effectiveCalibration.temperature, threshold: base.effectiveCalibration.threshold)
    state = Mutex(State(status: status, stack: [Served(name: baseName, model: base)]))
  }

  public var status: Status {
    var status = state.withLock { $0.status }
    status.corrections = store.count
    return status
  }

  /// Starts a run in the background; 409 while one runs or when there is nothing to learn,
  /// 429 (with Retry-After) sooner than `policy.minStartInterval` after the last start.
  @discardableResult
  public func start() throws -> Status {
    guard store.count > 0 else {
      throw APIError(.conflict, "no corrections yet: after a prediction, say which digit it was, then learn")
    }
    let run = try state.withLock { state -> Int in
      guard state.status.state != "running" else {
        throw APIError(.conflict, "a fine-tune is already running; GET /api/finetune shows its progress")
      }
      let now = policy.now()
      if let last = state.lastStart, now - last < policy.minStartInterval {
        let left = policy.minStartInterval - (now - last)
        let seconds = max(1, left.components.seconds + (left.components.attoseconds > 0 ? 1 : 0))
        throw APIError(
          .tooManyRequests,
          "a fine-tune started less than \(policy.minStartInterval.components.seconds) s ago; "
            + "try again in \(seconds) s", headers: [.retryAfter: String(seconds)])
      }
      state.lastStart = now
      state.runs += 1
      state.status.state = "running"
      state.status.phase = "loading data"
      state.status.progress = 0
      state.status.message = nil
      state.status.seconds = nil
      return state.runs
    }
    let thread = Thread { [self] in self.work(run: run) }
    thread.name = "digits.finetune"
    thread.start()
    return status
  }

  /// Serves the model that answered before the last swap; 409 while a run is going or when
  /// the base model is already served.
  @discardableResult
  public func undo() throws -> Status {
    try state.withLock { state in
      guard state.status.state != "running" else {
        throw APIError(.conflict, "a fine-tune is running; undo after it ends")
      }
      guard state.stack.count > 1 else { throw APIError(.conflict, "nothing to undo: \(baseName) is served") }
      let previous = state.stack[state.stack.count - 2]
      do { try install(previous.model, previous.name) } catch {
        throw APIError(.internalServerError, "could not go back to \(previous.name)")
      }
      state.stack.removeLast()
      state.status.model = previous.name
      state.status.canUndo = state.stack.count > 1
      state.status.mnistTestAccuracy = Self.testAccuracy(previous.model)
      state.status.temperature = previous.model.effectiveCalibration.temperature
      state.status.threshold = previous.model.effectiveCalibration.threshold
      state.status.message = "back to \(previous.name)"
      state.status.state = "idle"
      state.status.seconds = nil
      state.status.progress = 0
    }
    return status
  }

  /// The run, on its own thread: data (loaded once), training, evaluation, file, swap. Its
  /// end is one change of state, after which the callers of `settled()` resume.
  private func work(run: Int) {
    #if os(Linux)
      // NOTE: on Linux the nice value is per thread (0: this one), and threads inherit it.
      setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.niceness)
    #endif
    let end: (inout State) -> Void
    var step = "could not load MNIST for replay (serve --data DIR says where it is)"
    do {
      let data = try state.withLock { $0.data } ?? loadData()
      state.withLock { $0.data = data }
      step = "could not read the corrections folder"
      let corrections = try CorrectionFolder.load(folder: store.folder)
      step = "the fine-tune failed"
      end = try finetune(run: run, data: data, corrections: corrections)
    } catch {
      log("fine-tune \(run): \(step): \(error)")
      end = { state in
        state.status.state = "failed"
        state.status.message = step + " (the server's log has the details)"
      }
    }
    let (waiters, served) = state.withLock { state in
      state.status.phase = nil
      end(&state)
      defer { state.waiters = [] }
      return (state.waiters, Set(state.stack.map(\.name)))
    }
    removeOldModels(keeping: served)
    let status = self.status
    for waiter in waiters { waiter.resume(returning: status) }
  }

  /// Trains, evaluates, writes the model and serves it if it kept its MNIST accuracy;
  /// returns the change of state that ends the run.
  private func finetune(run: Int, data: (train: LabeledImages, test: LabeledImages), corrections: LabeledImages)
    throws -> (inout State) -> Void
  {
    let started = ContinuousClock.now
    update(phase: "training", progress: 0)
    let observer = Progress { [self] fraction in update(phase: "training", progress: fraction * 0.95) }
    var recipe = self.recipe
    recipe.seed &+= UInt64(run)
    let backend = try makeBackend()
    let (model, split) = try Finetune.runCalibrated(
      model: base, corrections: corrections, replay: data.train, validation: data.test, backend: backend,
      recipe: recipe, observer: observer)
    update(phase: "evaluating", progress: 0.96)
    let baseAccuracy = try baseAccuracy(on: data.test, backend: backend)
    let accuracy = model.history.last?.valAccuracy ?? 0
    let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
    let name = "models/finetuned-\(stamp)-\(String(format: "%04d", run)).safetensors"
    try CorrectionFolder.makePrivateFolder(store.folder + "/models")
    try model.write(to: (store.folder as NSString).appendingPathComponent(name), mode: CorrectionFolder.fileMode)
    guard accuracy >= baseAccuracy - policy.maxAccuracyDrop else {
      let message = String(
        format: "not served: MNIST test accuracy %.2f%% is more than %.2f points below the base model's %.2f%% "
          + "(check the corrections' labels); kept as %@",
        accuracy * 100, policy.maxAccuracyDrop * 100, baseAccuracy * 100, name)
      return { state in
        state.status.state = "refused"
        state.status.progress = 1
        state.status.message = message
      }
    }
    log(
      String(
        format: "fine-tune %d: serving %@ (MNIST test %.2f%%, base %.2f%%; temperature %.3f, unsure below %.3f)", run,
        name, accuracy * 100, baseAccuracy * 100, model.effectiveCalibration.temperature,
        model.effectiveCalibration.threshold))
    update(phase: "swapping", progress: 0.98)
    try install(model, name)
    let took = ContinuousClock.now - started
    let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
    let calibration = model.effectiveCalibration
    let held = split.heldOutCorrections
    let message =
      "learnt from \(corrections.count - held) corrections; calibrated on "
      + (held > 0 ? "\(held) more and " : "") + "\(split.calibration.count - held) MNIST images"
    return { [policy] state in
      state.stack.append(Served(name: name, model: model))
      if state.stack.count > policy.keptModels + 1 { state.stack.remove(at: 1) }
      state.status.state = "done"
      state.status.progress = 1
      state.status.model = name
      state.status.canUndo = true
      state.status.seconds = seconds
      state.status.mnistTestAccuracy = Self.testAccuracy(model)
      state.status.temperature = calibration.temperature
      state.status.threshold = calibration.threshold
      state.status.message = message
    }
  }

  /// Deletes fine-tuned models in models/ but the newest `policy.keptModels` and `served`
  /// (those undo may go back to). The names sort by time: `finetuned-DATE-RUN.safetensors`.
  private func removeOldModels(keeping served: Set<String>) {
    let folder = (store.folder as NSString).appendingPathComponent("models")
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
    let tuned = names.filter { $0.hasPrefix("finetuned-") && $0.hasSuffix(".safetensors") }.sorted()
    for name in tuned.dropLast(policy.keptModels) where !served.contains("models/" + name) {
      if unlink((folder as NSString).appendingPathComponent(name)) != 0 {
        log("could not remove models/\(name): \(String(cString: strerror(errno)))")
      }
    }
  }

  /// The status once no run is going: at once when none is, else when the run ends.
  public func settled() async -> Status {
    await withCheckedContinuation { continuation in
      let waiting = state.withLock { state in
        guard state.status.state == "running" else { return false }
        state.waiters.append(continuation)
        return true
      }
      if !waiting { continuation.resume(returning: status) }
    }
  }

  /// The base model's accuracy on `test` (the images fine-tunes are validated on), measured
  /// on the first run and kept.
  private func baseAccuracy(on test: LabeledImages, backend: any Backend) throws -> Double {
    if let known = state.withLock({ $0.baseAccuracy }) { return known }
    let accuracy = try Evaluator(network: SeedNetwork(backend: backend, values: base.parameters))
      .lossAndAccuracy(test).accuracy
    state.withLock { $0.baseAccuracy = accuracy }
    return accuracy
  }

  private func update(phase: String, progress: Double) {
    state.withLock { state in
      state.status.phase = phase
      state.status.progress = min(1, max(state.status.progress, progress))
    }
  }

  /// The accuracy on the MNIST test set recorded in the model's last epoch, if it was validated there.
  static func testAccuracy(_ model: ModelFile) -> Double? {
    model.facts?.validation.hasPrefix("test") == true ? model.history.last?.valAccuracy : nil
  }

  /// The trainer's progress as one fraction of the whole run.
  private final class Progress: TrainingObserver {
    let report: (Double) -> Void
    init(_ report: @escaping (Double) -> Void) { self.report = report }

    func batchesDone(epoch: Int, epochs: Int, done: Int, total: Int, loss: Double, accuracy: Double) {
      report((Double(epoch) + Double(done) / Double(max(1, total))) / Double(max(1, epochs)))
    }

    func epochDone(_ record: EpochRecord, epochs: Int) {}
  }
}
