import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Runs the built `digits` like `CLIRunner`, and reports its peak resident set as wait4's
/// `ru_maxrss`, which `Process` does not give.
///
/// NOTE: Linux carries the RSS high-water mark of the memory a process had before `exec`
/// into its `ru_maxrss`, and posix_spawn (vfork) or fork start from the test process's
/// memory (100+ MB), which would hide the child's own peak. So a small python3 reaper
/// forks and execs `digits` and reads its wait4 usage: the floor is then python's ~8 MB.
public enum MeasuredRun {
  public struct Result: Sendable {
    public let status: Int32
    /// True when a signal ended the child (a trap: SIGILL, SIGTRAP; or SIGKILL when the
    /// kernel ran out of memory).
    public let signalled: Bool
    public let stdout: String
    public let stderr: String
    /// Peak resident set in bytes.
    public let peakBytes: Int
  }

  /// Runs `digits args...` with `extra` added to the environment; stdout and stderr go
  /// through files in a scratch folder, so a child that writes a lot never blocks. The peak
  /// counts the processes `digits` starts and waits for too.
  public static func digits(_ args: [String], environment extra: [String: String] = [:]) throws -> Result {
    let scratch = TemporaryDirectory()
    let outPath = scratch.path + "/stdout", errPath = scratch.path + "/stderr", usagePath = scratch.path + "/usage"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
    let argv = ([python, "-c", reaper, usagePath, CLIRunner.executable.path] + args).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { envp.forEach { free($0) } }
    let spawned = posix_spawnp(&pid, python, &actions, nil, argv, envp)
    guard spawned == 0 else { throw CocoaError(.executableLoad, userInfo: [NSFilePathErrorKey: python]) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    func text(_ path: String) -> String {
      String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    }
    let usage = text(usagePath).split(separator: " ").compactMap { Int($0) }
    guard status == 0, usage.count == 3 else {
      throw CocoaError(
        .executableLoad, userInfo: [NSLocalizedDescriptionKey: "python3 reaper failed: \(text(errPath))"])
    }
    // Linux reports ru_maxrss in KiB.
    return Result(
      status: Int32(usage[0]), signalled: usage[1] != 0, stdout: text(outPath), stderr: text(errPath),
      peakBytes: usage[2] * 1024)
  }

  /// argv: usage file, program, its arguments. Writes "exit-status signal maxrss-KiB".
  static let reaper = """
    import os, sys
    pid = os.fork()
    if pid == 0:
        os.execv(sys.argv[2], sys.argv[2:])
    _, status, usage = os.wait4(pid, 0)
    signal = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -signal
    with open(sys.argv[1], "w") as f:
        f.write(f"{code} {signal} {usage.ru_maxrss}")
    """
}
