import Foundation

/// What the processor running us can do. Lives in DigitsCore, which is compiled for the
/// baseline CPU, so asking never executes an AVX2 instruction on a CPU without it.
public enum HostCPU {
  /// True when the CPU backend's AVX2+FMA code can run here.
  public static let supportsAVX2FMA: Bool = {
    #if arch(x86_64)
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return true }  // No /proc (not Linux): trust the build.
    let flags = Set(flagsLine.split(separator: " ").map(String.init))
    return flags.contains("avx2") && flags.contains("fma")
    #else
    return true
    #endif
  }()
}
