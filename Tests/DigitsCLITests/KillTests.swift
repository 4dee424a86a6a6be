import DigitsCore
import Foundation
import Testing
import _TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// `digits train` killed with SIGKILL at 20 moments drawn from a fixed seed: in an epoch,
/// in the middle of the model write, in the middle of the checkpoint write. After each kill
/// the model and checkpoint are absent or complete, valid files, and `--resume` from that
/// state ends at weights and Adam state bit-identical to an uninterrupted run (checked on a
/// copy; the original is resumed and killed again, so later kills hit resumed runs).
///
/// Writes are hit on purpose, not by luck: the killed process runs with the test hook
/// `DIGITS_TEST_WRITE_PAUSE_MS` (and `_FILE`), which makes `AtomicFile` write half the bytes
/// of that file, say so on stderr and pause; the test kills it when it reads that line, so the kill lands with a
/// half-written temporary on disk. Kills "in an epoch" come after a pseudo-random delay
/// over the length of an uninterrupted run (wherever they land, the checks are the same).
@Suite(.serialized, .heavy) struct KillTests {
  let dir = TemporaryDirectory()

  static let arguments = [
    "train", "--backend", "cpu", "--threads", "2", "--limit", "512", "--batch-size", "32",
    "--epochs", "3", "--validation", "none",
  ]

  enum Moment: CustomStringConvertible {
    case inEpoch(microseconds: UInt32)
    case inWrite(of: String)
    var description: String {
      switch self {
      case .inEpoch(let us): return "\(us / 1000) ms in"
      case .inWrite(let name): return "writing \(name)"
      }
    }
  }

  /// Starts `digits` and kills it at `moment`. Returns whether the process was killed (it
  /// may finish first when a delay outlasts it) and its stderr.
  func runKilled(_ args: [String], at moment: Moment) throws -> (killed: Bool, stderr: String) {
    let p = Process()
    p.executableURL = CLIRunner.executable
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    if case .inWrite(let name) = moment {
      // Paused until the kill, however long this test waits for the CPU (the hang guard).
      env["DIGITS_TEST_WRITE_PAUSE_MS"] = String(Int(HangGuard.seconds * 1000))
      env["DIGITS_TEST_WRITE_PAUSE_FILE"] = name
    }
    p.environment = env
    let err = Pipe()
    p.standardError = err
    p.standardOutput = FileHandle.nullDevice
    try p.run()
    var stderr = ""
    switch moment {
    case .inEpoch(let us):
      usleep(us)
      kill(p.processIdentifier, SIGKILL)
    case .inWrite(let name):
      // Reads until the paused write of `name` is announced (or the process ends).
      while true {
        let chunk = err.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        stderr += String(decoding: chunk, as: UTF8.self)
        if stderr.split(separator: "\n").contains(where: {
          $0.hasPrefix("digits-test: paused writing") && $0.hasSuffix("/" + name)
        }) {
          kill(p.processIdentifier, SIGKILL)
          break
        }
      }
    }
    p.waitUntilExit()
    stderr += String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return (p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL, stderr)
  }

  /// The file is absent, or a complete model (checksum and all) holding 1-3 epochs.
  func epochs(in path: String, checkpoint: Bool) throws -> Int {
    guard FileManager.default.fileExists(atPath: path) else { return 0 }
    let file = try ModelFile.read(path: path)
    #expect((file.adam != nil) == checkpoint)
    #expect((1...3).contains(file.history.count))
    return file.history.count
  }

  func bits(_ file: ModelFile) -> [[UInt32]] {
    (file.parameters + (file.adam.map { $0.m + $0.v } ?? [])).map { $0.map(\.bitPattern) }
  }

  @Test func killedRunsResumeToTheSameWeights() throws {
    let referenceOut = dir.path + "/reference/model.safetensors"
    let started = Date()
    let straight = try CLIRunner.run(Self.arguments + ["--data", TestData.mnistPath, "--out", referenceOut])
    let runMicroseconds = UInt32(Date().timeIntervalSince(started) * 1e6)
    #expect(straight.status == 0, "\(straight.stderr)")
    let reference = try ModelFile.read(path: referenceOut)
    let referenceCheckpoint = try ModelFile.read(path: dir.path + "/reference/model.checkpoint.safetensors")

    var rng = SeededGenerator(seed: 20_261_130)
    var chain = 0, kills = 0, landedInWrites = 0
    var folder = ""
    func newChain() throws {
      chain += 1
      folder = dir.path + "/chain\(chain)"
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    func command(_ folder: String) -> [String] {
      let resume = FileManager.default.fileExists(atPath: folder + "/model.checkpoint.safetensors")
      return Self.arguments + ["--data", TestData.mnistPath, "--out", folder + "/model.safetensors"]
        + (resume ? ["--resume"] : [])
    }
    /// Resumes (or starts) the run in `folder` until it is done, then compares it with the
    /// reference; the temporaries a kill left are gone.
    func finish(_ folder: String, after kill: String) throws {
      while try epochs(in: folder + "/model.checkpoint.safetensors", checkpoint: true) < 3 {
        let r = try CLIRunner.run(command(folder))
        #expect(r.status == 0, "after \(kill): \(r.stderr)")
        if r.status != 0 { return }
      }
      #expect(bits(try ModelFile.read(path: folder + "/model.safetensors")) == bits(reference), "after \(kill)")
      #expect(
        bits(try ModelFile.read(path: folder + "/model.checkpoint.safetensors")) == bits(referenceCheckpoint),
        "after \(kill)")
      let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".tmp") }
      #expect(leftovers.isEmpty, "after \(kill): \(leftovers)")
    }
    try newChain()
    while kills < 20 {
      let moment: Moment
      switch rng.next() % 3 {
      case 0: moment = .inEpoch(microseconds: UInt32(rng.next() % UInt64(max(runMicroseconds, 1))))
      case 1: moment = .inWrite(of: "model.safetensors")
      default: moment = .inWrite(of: "model.checkpoint.safetensors")
      }
      let run = try runKilled(command(folder), at: moment)
      let model = try epochs(in: folder + "/model.safetensors", checkpoint: false)
      let saved = try epochs(in: folder + "/model.checkpoint.safetensors", checkpoint: true)
      let label = "kill \(kills + 1) (\(moment), chain \(chain))"
      // The model is written first: it is level with the checkpoint or one epoch ahead.
      #expect(model == saved || model == saved + 1, "\(label): model \(model), checkpoint \(saved)")
      if run.killed {
        kills += 1
        if case .inWrite(let name) = moment {
          // The kill landed mid-write: the half-written temporary is there, under its own name.
          let temps = try FileManager.default.contentsOfDirectory(atPath: folder).filter {
            $0.hasPrefix(".\(name).") && $0.hasSuffix(".tmp")
          }
          #expect(temps.count == 1, "\(label): \(temps) \(run.stderr)")
          landedInWrites += 1
        }
        // Every kill's leftovers, resumed in a copy, reach the reference's bits; the chain
        // itself goes on from the same state and is killed again.
        let copy = dir.path + "/after-kill-\(kills)"
        try FileManager.default.copyItem(atPath: folder, toPath: copy)
        try finish(copy, after: label)
        try FileManager.default.removeItem(atPath: copy)
      } else {
        #expect(!run.stderr.contains("Error"), "\(label): \(run.stderr)")
      }
      if saved == 3 {
        try finish(folder, after: label)
        try newChain()
      }
    }
    try finish(folder, after: "the last kill")
    #expect(landedInWrites >= 5, "only \(landedInWrites) of 20 kills landed in writes")
    print("KillTests: \(kills) kills, \(landedInWrites) in writes, \(chain) chains")
  }
}
