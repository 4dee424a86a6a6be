import DefaultModel
import DigitsCore
import Foundation
import FuzzDriver

/// A model file as `ModelFile.read` loads it: safetensors decoding, then every name, shape
/// and metadata check. A fuzzer cannot grow the 225,034 weights of a valid model, so the
/// input's metadata is tried a second time on the built-in model's tensors (after the input's
/// own tensors, so the real ones win), which reaches the checks after the shapes: Adam state,
/// extra tensors, dataset, class names, history and training facts.
/// Thrown errors are correct answers; crashes, leaks and OOMs are bugs.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let data = start.map { Data(bytes: $0, count: count) } ?? Data()
  guard let file = try? Safetensors.decode(data, path: "fuzz") else { return 0 }
  _ = try? ModelFile(file, path: "fuzz")
  let adam =
    file.metadata["adam_step"] == nil
    ? []
    : builtIn.flatMap { t in
      ["m", "v"].map { Safetensors.NamedTensor(name: "adam.\($0).\(t.name)", shape: t.shape, values: t.values) }
    }
  _ = try? ModelFile(Safetensors.File(tensors: file.tensors + builtIn + adam, metadata: file.metadata), path: "fuzz")
  return 0
}

/// The built-in model's tensors, decoded once.
let builtIn = try! Safetensors.decode(DefaultModel.bytes, path: DefaultModel.name).tensors

/// The program's entry (SwiftPM names it `FuzzModelFile_main` on Linux): libFuzzer's driver,
/// which parses the -flags and calls `fuzz` once per input.
@_cdecl("FuzzModelFile_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var (argc, argv) = (argc, Optional(argv))
  return LLVMFuzzerRunDriver(&argc, &argv) { fuzz($0, $1) }
}
