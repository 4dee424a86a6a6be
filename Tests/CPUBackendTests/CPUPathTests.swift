import CPUBackend
import DigitsCore
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
}
