import CLibzip
import DigitsCore
import Foundation

/// The two entries of a Keras 3 `.keras` zip that hold the model, read from memory through
/// libzip (which checks each entry's CRC). Sizes are checked before and while an entry is
/// inflated, so a zip bomb stops at the limit.
struct KerasZip {
  let config: Data
  let weights: Data

  init(bytes: Data, path: String) throws {
    (config, weights) = try bytes.withUnsafeBytes { raw in
      var error = zip_error_t()
      zip_error_init(&error)
      defer { zip_error_fini(&error) }
      // The source borrows `raw` (freep 0): the archive is closed before this closure returns.
      guard let source = zip_source_buffer_create(raw.baseAddress, zip_uint64_t(raw.count), 0, &error) else {
        throw DigitsError.file(path, "cannot be read as a zip")
      }
      guard let archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error) else {
        zip_source_free(source)
        throw DigitsError.file(path, "damaged or truncated zip; expected \(KerasImport.expectedKinds)")
      }
      defer { zip_discard(archive) }
      let entries = zip_get_num_entries(archive, 0)
      guard entries <= KerasImport.maxZipEntries else {
        throw DigitsError.file(
          path, "zip holds \(entries) entries, more than \(KerasImport.maxZipEntries); a .keras file holds 3")
      }
      return (
        try Self.extract("config.json", limit: KerasConfig.maxBytes, from: archive, path),
        try Self.extract("model.weights.h5", limit: KerasImport.maxFileBytes, from: archive, path)
      )
    }
  }

  static func extract(_ name: String, limit: Int, from archive: OpaquePointer, _ path: String) throws -> Data {
    let index = zip_name_locate(archive, name, 0)
    guard index >= 0 else {
      throw DigitsError.file(path, "zip has no \(name); expected a Keras 3 .keras file (config.json, model.weights.h5)")
    }
    var info = zip_stat_t()
    guard zip_stat_index(archive, zip_uint64_t(index), 0, &info) == 0, info.valid & zip_uint64_t(ZIP_STAT_SIZE) != 0
    else {
      throw DigitsError.file(path, "zip entry \(name) is damaged")
    }
    guard info.size <= zip_uint64_t(limit) else {
      throw DigitsError.file(path, "zip entry \(name) is \(info.size) bytes, more than the \(limit)-byte limit")
    }
    guard let entry = zip_fopen_index(archive, zip_uint64_t(index), 0) else {
      throw DigitsError.file(path, "zip entry \(name) cannot be opened (damaged, encrypted or an unknown compression)")
    }
    defer { zip_fclose(entry) }
    // One byte more than the stated size: an entry that inflates past it is caught.
    var data = Data(count: Int(info.size) + 1)
    var total = 0
    while total < data.count {
      let n = data.withUnsafeMutableBytes { zip_fread(entry, $0.baseAddress! + total, zip_uint64_t($0.count - total)) }
      guard n >= 0 else {
        throw DigitsError.file(path, "zip entry \(name) is damaged (\(String(cString: zip_file_strerror(entry))))")
      }
      if n == 0 { break }
      total += Int(n)
    }
    guard total == Int(info.size) else {
      throw DigitsError.file(
        path, "zip entry \(name) holds \(total > Int(info.size) ? "more" : "fewer") bytes than its stated \(info.size)")
    }
    return data.prefix(total)
  }
}
