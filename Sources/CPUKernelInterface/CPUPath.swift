import DigitsCore
import Foundation

/// One build of the CPU kernels (the same source compiled for an instruction set; see the
/// DocC article). Picked at start-up from what the CPU reports, or forced with `DIGITS_CPU`.
public enum CPUPath: String, CaseIterable, Sendable, CustomStringConvertible {
  /// AVX-512 F/BW/VL/DQ (`-target-cpu x86-64-v4`): 16-lane micro-kernel. Intel Skylake-SP
  /// and newer, AMD Zen 4/5.
  case avx512
  /// AVX2 + FMA (`-target-cpu haswell`): 8-lane vectors.
  case avx2
  /// No target flags: SSE2 on x86-64, NEON on arm64. Runs on every CPU.
  case portable

  public var description: String { rawValue }

  /// The paths this build contains and this CPU can execute, fastest first: AVX-512, AVX2,
  /// portable, except on CPUs that run AVX-512 at half width (AMD Zen 4), where the AVX2
  /// build measured faster and comes first.
  public static var supported: [CPUPath] {
    #if arch(x86_64)
      let wide: [CPUPath?] = [HostCPU.supportsAVX512 ? .avx512 : nil, HostCPU.supportsAVX2FMA ? .avx2 : nil]
      return (HostCPU.runsAVX512AtHalfWidth ? wide.reversed() : wide).compactMap { $0 } + [.portable]
    #else
      return [.portable]
    #endif
  }

  /// The fastest path this CPU can execute.
  public static var fastest: CPUPath { supported[0] }

  /// `DIGITS_CPU` if it is set (and not empty), else the fastest path. An unknown name, or a
  /// path this CPU or build cannot run, is an error: running AVX-512 code on a CPU without it
  /// would end the process with SIGILL.
  public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
    throws(DigitsError) -> CPUPath
  {
    guard let value = environment["DIGITS_CPU"], !value.isEmpty else { return fastest }
    guard let path = CPUPath(rawValue: value.lowercased()) else {
      throw DigitsError("DIGITS_CPU=\(value): unknown; use \(allCases.map(\.rawValue).joined(separator: ", "))")
    }
    guard supported.contains(path) else {
      throw DigitsError(
        "DIGITS_CPU=\(value): this CPU (or this build) cannot run it; it can run \(supported.map(\.rawValue).joined(separator: ", "))"
      )
    }
    return path
  }
}
