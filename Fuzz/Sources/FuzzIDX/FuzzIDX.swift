import DigitsCore
import Foundation
import FuzzDriver

/// An MNIST data file as `digits train` reads it: the input is written to a scratch file and
/// read back with `IDX.read`, which parses raw files and inflates gzip ones (whole through
/// libdeflate when the trailer agrees with the header, else as a stream through zlib). Gzip
/// input also goes through `Gzip.decompress`, the in-memory inflater the downloader uses.
/// Thrown `DigitsError`s are correct answers; a crash, leak or runaway allocation is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let data = start.map { Data(bytes: $0, count: count) } ?? Data()
  guard FileManager.default.createFile(atPath: scratch, contents: data) else { fatalError("cannot write \(scratch)") }
  _ = try? IDX.read(path: scratch)
  if Gzip.isGzip(data) { _ = try? Gzip.decompress(data, path: "fuzz", limit: IDX.maxFileBytes) }
  return 0
}

/// One file per process (libFuzzer's -jobs runs several), in memory where Linux offers it,
/// removed when the process exits.
let scratch: String = {
  atexit { unlink(scratchPath(getpid())) }
  return scratchPath(getpid())
}()

func scratchPath(_ pid: Int32) -> String {
  let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
  return "\(folder)/digits-fuzz-idx-\(pid)"
}

/// The program's entry (SwiftPM names it `FuzzIDX_main` on Linux): libFuzzer's driver,
/// which parses the -flags and calls `fuzz` once per input.
@_cdecl("FuzzIDX_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var (argc, argv) = (argc, Optional(argv))
  return LLVMFuzzerRunDriver(&argc, &argv) { fuzz($0, $1) }
}
