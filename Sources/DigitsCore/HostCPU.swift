import Foundation

/// What the processor running us can do. Lives in DigitsCore, which is compiled for the
/// baseline CPU, so asking never executes an AVX2 or AVX-512 instruction on a CPU without it
/// (that would be SIGILL, not an error message).
///
/// Read from the kernel's view of CPUID (Linux: the `flags` line of /proc/cpuinfo; macOS:
/// `hw.optional.*`), which also says whether the OS saves the wide registers.
public enum HostCPU {
  /// True when code compiled with `-target-cpu skylake-avx512` can run: AVX-512 F, BW, VL, DQ
  /// and CD on top of the AVX2 set (Intel Skylake-SP and newer, AMD Zen 4 and newer).
  public static let supportsAVX512: Bool = {
    #if arch(x86_64)
      return supportsAVX2FMA && has(["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"])
    #else
      return false
    #endif
  }()

  /// True when code compiled with `-target-cpu haswell` can run: AVX2, FMA, BMI1/2, F16C.
  public static let supportsAVX2FMA: Bool = {
    #if arch(x86_64)
      return has(["avx2", "fma", "bmi1", "bmi2", "f16c"])
    #else
      return false
    #endif
  }()

  /// True on AMD Zen 4 (family 19h), which runs AVX-512 on 256-bit units: the same FLOPs as
  /// AVX2, and its AVX2 build trained an epoch 2-10% faster here (docs/PERFORMANCE.md).
  public static let runsAVX512AtHalfWidth: Bool = {
    #if os(Linux) && arch(x86_64)
      guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
      func field(_ name: String) -> String? {
        info.split(separator: "\n").first { $0.hasPrefix(name) }.flatMap { $0.split(separator: ":").last }
          .map { $0.trimmingCharacters(in: .whitespaces) }
      }
      return field("vendor_id") == "AuthenticAMD" && field("cpu family") == "25"
    #else
      return false
    #endif
  }()

  /// The CPU's feature names, lower case as Linux writes them; nil where they cannot be read.
  static let features: Set<String>? = {
    #if os(Linux)
      guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
        let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
      else { return nil }
      return Set(flagsLine.split(separator: " ").map(String.init))
    #elseif canImport(Darwin)
      var found: Set<String> = []
      let names = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd", "avx2", "fma", "bmi1", "bmi2", "f16c"]
      for name in names {
        let key = name == "avx2" ? "hw.optional.avx2_0" : name == "fma" ? "hw.optional.fma" : "hw.optional.\(name)"
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        if sysctlbyname(key, &value, &size, nil, 0) == 0 && value != 0 { found.insert(name) }
      }
      return found
    #else
      return nil
    #endif
  }()

  /// Whether every feature in `names` is present; false when the features cannot be read
  /// (the portable path is always safe).
  static func has(_ names: [String]) -> Bool {
    guard let features else { return false }
    return names.allSatisfy(features.contains)
  }
}
