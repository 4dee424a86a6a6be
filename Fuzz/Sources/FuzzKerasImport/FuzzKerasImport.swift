import DigitsInterop
import Foundation
import FuzzDriver

/// A Keras file as `digits import` reads it: the zip (libzip) or HDF5 (libhdf5) by its first
/// bytes, then the config check, the weights' names and shapes, the conversion. The seeds
/// (Tests/Interop/make_fuzz_seeds.py) are the seed CNN with zero weights in each format.
/// libhdf5 and libzip are Debian's, not instrumented: the fuzzer sees the Swift side's
/// coverage only, and a memory error inside them shows as a SEGV, not an ASan report.
/// Thrown errors are correct answers; crashes, leaks and OOMs are bugs.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let data = start.map { Data(bytes: $0, count: count) } ?? Data()
  _ = try? KerasImport.read(bytes: data, path: "fuzz")
  return 0
}

/// The program's entry (SwiftPM names it `FuzzKerasImport_main` on Linux): libFuzzer's driver,
/// which parses the -flags and calls `fuzz` once per input.
@_cdecl("FuzzKerasImport_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var (argc, argv) = (argc, Optional(argv))
  return LLVMFuzzerRunDriver(&argc, &argv) { fuzz($0, $1) }
}
