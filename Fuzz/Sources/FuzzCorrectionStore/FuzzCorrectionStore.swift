import DigitsCore
import DigitsVision
import Foundation
import FuzzDriver
import Hummingbird

@testable import DigitsServer

/// A corrections folder someone else wrote: `CorrectionStore(folder:)` (labels.csv, read at
/// start-up), `CorrectionFolder.load(folder:)` (labels.csv and the pictures, read by a
/// fine-tune) and, on a folder it accepted, one `add` and both reads again. A thrown
/// `DigitsError` is the right answer; the target stops on a crash, on an error of another
/// kind, and on a store that loses or invents corrections (the count after an `add` is one
/// more, and a load holds one picture per label).
///
/// Input framing: `labels.csv bytes \0 picture bytes`; the picture is written as
/// `c000001.png` (the name the seeds' labels.csv gives), in a scratch folder in /dev/shm.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let bytes = start.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
  let parts = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
  let folder = Scratch.fresh()
  write(Data(parts[0]), to: CorrectionFolder.path(CorrectionFolder.labelsFile, in: folder))
  if parts.count > 1 { write(Data(parts[1]), to: CorrectionFolder.path("c000001.png", in: folder)) }
  do {
    let store = try CorrectionStore(folder: folder)
    let before = store.count
    checkLoad(folder, count: nil)
    _ = try store.add(input28: [Float](repeating: 0.5, count: MNISTShape.pixels), label: 3)
    let again = try CorrectionStore(folder: folder)
    guard again.count == before + 1 else { fatalError("\(before) corrections, then \(again.count) after one add") }
    checkLoad(folder, count: again.count)
  } catch is DigitsError {
  } catch let error as APIError where error.status.code == 409 {
    // Full: the right answer for a folder at its limits.
  } catch {
    fatalError("not a DigitsError: \(error)")
  }
  return 0
}

/// Loads `folder`; its images and labels must agree, and hold `count` corrections when given
/// (or as many as the fine-tune takes, when there are more).
func checkLoad(_ folder: String, count: Int?) {
  do {
    let loaded = try CorrectionFolder.load(folder: folder)
    guard loaded.images.count == loaded.labels.count * MNISTShape.pixels else {
      fatalError("\(loaded.images.count) pixels for \(loaded.labels.count) labels")
    }
    if let count, loaded.labels.count != min(count, Finetune.Recipe.maxCorrections) {
      fatalError("loaded \(loaded.labels.count) of \(count) corrections")
    }
  } catch is DigitsError {
  } catch {
    fatalError("load: not a DigitsError: \(error)")
  }
}

func write(_ data: Data, to path: String) {
  guard FileManager.default.createFile(atPath: path, contents: data) else { fatalError("cannot write \(path)") }
}

/// One scratch folder per process, emptied before each input.
enum Scratch {
  static let root = "/dev/shm/digits-fuzz-corrections-\(getpid())"

  static func fresh() -> String {
    try? FileManager.default.removeItem(atPath: root)
    do {
      try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    } catch {
      fatalError("cannot make \(root): \(error)")
    }
    return root
  }
}

/// The program's entry (SwiftPM names it `FuzzCorrectionStore_main` on Linux): libFuzzer's
/// driver, which parses the -flags and calls `fuzz` once per input.
@_cdecl("FuzzCorrectionStore_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var (argc, argv) = (argc, Optional(argv))
  return LLVMFuzzerRunDriver(&argc, &argv) { fuzz($0, $1) }
}
