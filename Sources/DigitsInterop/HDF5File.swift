import CHDF5
import DigitsCore
import Foundation

/// An HDF5 file read from memory through the HDF5 C library, read-only. Every call takes one
/// process-wide lock: Debian's libhdf5 is the serial build, which is not thread-safe.
///
/// libhdf5 is not hardened against hostile files (docs/MODEL-FORMAT.md, Fuzzing), so what can
/// be checked before it runs is: the file's signature and size (`KerasImport`), hard links
/// only, at most `maxDatasets` datasets, float data of a known rank whose size is checked
/// before a buffer is allocated, no raw data stored in other files.
final class HDF5File {
  static let lock = NSLock()
  static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
  /// A Keras model of this network holds 8 weight datasets, its optimizer 18 more.
  static let maxDatasets = 1024
  /// The longest `model_config` read (a Keras config of this network is about 6 KB).
  static let maxStringBytes = 1 << 20

  let path: String
  private let handle: chdf5_id

  /// Opens `bytes`, which must start with the HDF5 signature.
  init(bytes: Data, path: String) throws {
    guard bytes.starts(with: Self.signature) else {
      throw DigitsError.file(path, "not an HDF5 file (no HDF5 signature at its start)")
    }
    guard chdf5_available() != 0 else {
      throw DigitsError.file(
        path, "cannot be read: Keras .h5 files need HDF5 (libhdf5; Debian and Ubuntu: apt-get install libhdf5-103-1)")
    }
    self.path = path
    Self.lock.lock()
    defer { Self.lock.unlock() }
    chdf5_quiet()
    handle = bytes.withUnsafeBytes { chdf5_open_image($0.baseAddress, $0.count) }
    guard handle >= 0 else { throw DigitsError.file(path, "damaged or truncated HDF5 file") }
  }

  deinit {
    Self.lock.lock()
    chdf5_close_file(handle)
    Self.lock.unlock()
  }

  /// Paths of every dataset, in name order.
  func datasetPaths() throws -> [String] {
    final class Walk {
      var paths: [String] = []
      var tooMany = false
    }
    let walk = Walk()
    let status = Self.lock.withLock {
      chdf5_visit_datasets(
        handle,
        { name, context in
          let walk = Unmanaged<Walk>.fromOpaque(context!).takeUnretainedValue()
          guard walk.paths.count < HDF5File.maxDatasets else {
            walk.tooMany = true
            return 1
          }
          walk.paths.append(String(cString: name!))
          return 0
        }, Unmanaged.passUnretained(walk).toOpaque())
    }
    if walk.tooMany {
      throw DigitsError.file(
        path, "holds more than \(Self.maxDatasets) datasets; a Keras model of this network holds 8")
    }
    guard status >= 0 else { throw DigitsError.file(path, "damaged HDF5 file (its groups cannot be listed)") }
    return walk.paths
  }

  /// The dimensions of a floating-point dataset of at most `maxRank` dimensions.
  func shape(_ dataset: String, maxRank: Int = 4) throws -> [Int] {
    var dims = [UInt64](repeating: 0, count: maxRank)
    var rank: Int32 = 0
    let status = Self.lock.withLock { chdf5_dataset_shape(handle, dataset, Int32(maxRank), &dims, &rank) }
    switch Int(status) {
    case CHDF5_OK: break
    case CHDF5_NOT_FLOAT: throw DigitsError.file(path, "dataset \(dataset) does not hold floating-point numbers")
    case CHDF5_RANK_TOO_HIGH: throw DigitsError.file(path, "dataset \(dataset) has more than \(maxRank) dimensions")
    case CHDF5_STORED_ELSEWHERE: throw DigitsError.file(path, "dataset \(dataset) keeps its data outside the file")
    default: throw DigitsError.file(path, "dataset \(dataset) cannot be read (damaged HDF5 file)")
    }
    guard dims[0..<Int(rank)].allSatisfy({ $0 <= UInt64(Int32.max) }) else {
      throw DigitsError.file(path, "dataset \(dataset) has an implausible size")
    }
    return dims[0..<Int(rank)].map { Int($0) }
  }

  /// The values of a float dataset whose shape was checked to hold `count` values.
  func floats(_ dataset: String, count: Int) throws -> [Float] {
    var status: Int32 = 0
    let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      status = Self.lock.withLock { chdf5_read_floats(handle, dataset, buffer.baseAddress, count) }
      // Zeros when the read failed, so the array is never uninitialised; the error is thrown below.
      if Int(status) != CHDF5_OK { buffer.initialize(repeating: 0) }
      initialized = count
    }
    guard Int(status) == CHDF5_OK else {
      throw DigitsError.file(path, "dataset \(dataset) cannot be read (damaged HDF5 file)")
    }
    return values
  }

  /// A string attribute of the root group; nil when there is none.
  func rootString(_ name: String) throws -> String? {
    var buffer = [CChar](repeating: 0, count: Self.maxStringBytes)
    let length = Self.lock.withLock { chdf5_read_root_string(handle, name, &buffer, buffer.count) }
    switch length {
    case -1: return nil
    case -2: throw DigitsError.file(path, "attribute \(name) is not a string")
    case -3: throw DigitsError.file(path, "attribute \(name) is longer than \(Self.maxStringBytes) bytes")
    case ..<0: throw DigitsError.file(path, "attribute \(name) cannot be read (damaged HDF5 file)")
    default: return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
  }
}
