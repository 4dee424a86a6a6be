import CPUBackend
import DigitsCore
import Foundation
import Testing

/// Choosing the kernel build: `DIGITS_CPU` and what the CPU reports.
@Suite struct CPUPathTests {
  @Test func defaultIsTheFastestSupported() throws {
    #expect(try CPUPath.fromEnvironment([:]) == CPUPath.supported[0])
    #expect(try CPUPath.fromEnvironment(["DIGITS_CPU": ""]) == CPUPath.supported[0])
    #expect(CPUPath.supported.last == .portable)
  }

  @Test(arguments: CPUPath.supported)
  func namedPathIsTaken(path: CPUPath) throws {
    #expect(try CPUPath.fromEnvironment(["DIGITS_CPU": path.rawValue.uppercased()]) == path)
    #expect(CPUBackend.make(threads: 1, path: path).name == "cpu (\(path.rawValue), 1 thread)")
  }

  @Test func unknownNameIsOneLine() {
    #expect(throws: DigitsError("DIGITS_CPU=sse4: unknown; use avx512, avx2, portable")) {
      try CPUPath.fromEnvironment(["DIGITS_CPU": "sse4"])
    }
  }

  /// A path the CPU cannot run is refused by name instead of ending in SIGILL.
  @Test(arguments: CPUPath.allCases.filter { !CPUPath.supported.contains($0) })
  func unsupportedPathIsRefused(path: CPUPath) {
    let error = #expect(throws: DigitsError.self) { try CPUPath.fromEnvironment(["DIGITS_CPU": path.rawValue]) }
    #expect(error?.description.contains("cannot run it") == true)
  }

  /// An x86-64 CPU with AVX-512 has the AVX2 set too; arm64 has only the portable path.
  @Test func supportedPathsAreConsistent() {
    #if arch(x86_64)
      #expect(!HostCPU.supportsAVX512 || HostCPU.supportsAVX2FMA)
      #expect(CPUPath.supported.contains(.avx512) == HostCPU.supportsAVX512)
      #expect(CPUPath.supported.contains(.avx2) == HostCPU.supportsAVX2FMA)
      #expect(
        CPUPath.fastest
          == (HostCPU.supportsAVX512 && !HostCPU.runsAVX512AtHalfWidth
            ? .avx512
            : HostCPU.supportsAVX2FMA ? .avx2 : .portable))
    #else
      #expect(CPUPath.supported == [.portable])
    #endif
  }

  /// Names the kernel builds the CPU tests ran, one line a CI log can show (`.ci/run` prints
  /// it), so a machine without AVX-512 does not pass while silently leaving those kernels
  /// untested. DIGITS_REQUIRE_CPU_PATHS (comma-separated) makes a missing path fail.
  @Test func namesTheKernelPathsTested() throws {
    let tested = CPUConfiguration.all(threads: [1]).map(\.path)
    #expect(tested == CPUPath.supported, "the CPU tests must run every path this CPU can execute")
    let untested = CPUPath.allCases.filter { !tested.contains($0) }
    print(
      "CPU kernel paths tested: \(tested.map(\.rawValue).joined(separator: ", "))"
        + "; not on this CPU: \(untested.isEmpty ? "none" : untested.map(\.rawValue).joined(separator: ", "))")
    let required = (ProcessInfo.processInfo.environment["DIGITS_REQUIRE_CPU_PATHS"] ?? "")
      .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    for name in required {
      let path = try #require(CPUPath(rawValue: name), "DIGITS_REQUIRE_CPU_PATHS names \(name), not a CPU path")
      #expect(tested.contains(path), "DIGITS_REQUIRE_CPU_PATHS asks for \(name); this CPU cannot run it")
    }
  }
}
