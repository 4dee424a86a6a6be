import Foundation

/// Runs the built `digits` executable, which SwiftPM puts next to the test bundle.
public enum CLIRunner {
  public struct Result: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
  }

  public static var executable: URL {
    let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for dir in [products, products.deletingLastPathComponent()] {
      let url = dir.appendingPathComponent("digits")
      if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return products.appendingPathComponent("digits")
  }

  /// Runs `digits args...` with extra environment variables, waiting for it to end.
  public static func run(
    _ args: [String], environment extra: [String: String] = [:], stdin: Data? = nil,
    directory: String? = nil
  ) throws -> Result {
    let corrections = TemporaryDirectory()
    let p = Process()
    p.executableURL = executable
    p.arguments = servingOwnCorrections(args, folder: corrections)
    var env = ProcessInfo.processInfo.environment
    // digits import gives its child 30 s; a starved test machine may need more for a sound
    // file, so tests get the hang guard unless they test the limit itself.
    env["DIGITS_IMPORT_TIMEOUT"] = String(HangGuard.seconds)
    for (k, v) in extra { env[k] = v }
    p.environment = env
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = input
    try p.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    // Read both pipes fully before waiting, so a chatty child never blocks on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data(), errData = Data()
    group.enter()
    DispatchQueue.global().async {
      outData = out.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    errData = err.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    withExtendedLifetime(corrections) {}
    return Result(
      status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }
}

/// `digits serve` arguments that keep a server under test off the user's own corrections
/// (~/.cache/digits/corrections, which it would read, count and write): `--corrections` in
/// `folder` unless the arguments name a folder themselves. Other commands are unchanged.
public func servingOwnCorrections(_ args: [String], folder: TemporaryDirectory) -> [String] {
  guard args.first == "serve", !args.contains("--corrections"), !args.contains("--help") else { return args }
  return args + ["--corrections", folder.path + "/corrections"]
}
