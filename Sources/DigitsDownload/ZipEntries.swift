import CLibzip
import DigitsCore
import Foundation

/// Copies named entries out of a zip file on disk through libzip (which checks each entry's
/// CRC), streaming, so a 500 MB archive never sits in memory. An entry's stated size is
/// checked against the limit before it is opened, and the bytes are counted while they are
/// written, so an entry that inflates past its stated size is refused.
struct ZipEntries {
  let path: String
  private let archive: OpaquePointer

  init(path: String) throws {
    var code: Int32 = 0
    guard let archive = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code) else {
      throw DigitsError.file(path, "damaged or truncated zip (libzip error \(code))")
    }
    self.path = path
    self.archive = archive
  }

  func close() { zip_discard(archive) }

  /// Writes the entry whose file name (any folder in the archive ignored) is `name` to
  /// `destination`, refusing one larger than `limit` bytes.
  func extract(_ name: String, to destination: String, limit: Int64) throws {
    let index = zip_name_locate(archive, name, zip_flags_t(ZIP_FL_NODIR))
    guard index >= 0 else { throw DigitsError.file(path, "archive holds no \(name)") }
    var info = zip_stat_t()
    guard zip_stat_index(archive, zip_uint64_t(index), 0, &info) == 0, info.valid & zip_uint64_t(ZIP_STAT_SIZE) != 0
    else { throw DigitsError.file(path, "entry \(name) is damaged") }
    guard info.size <= zip_uint64_t(limit) else {
      throw DigitsError.file(path, "entry \(name) is \(info.size) bytes, more than the \(limit)-byte limit")
    }
    guard let entry = zip_fopen_index(archive, zip_uint64_t(index), 0) else {
      throw DigitsError.file(path, "entry \(name) cannot be opened (damaged, encrypted or an unknown compression)")
    }
    defer { zip_fclose(entry) }
    guard FileManager.default.createFile(atPath: destination, contents: nil),
      let out = FileHandle(forWritingAtPath: destination)
    else { throw DigitsError.file(destination, "cannot be created") }
    defer { try? out.close() }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var total: UInt64 = 0
    while true {
      let n = buffer.withUnsafeMutableBytes { zip_fread(entry, $0.baseAddress!, zip_uint64_t($0.count)) }
      guard n >= 0 else {
        throw DigitsError.file(path, "entry \(name) is damaged (\(String(cString: zip_file_strerror(entry))))")
      }
      if n == 0 { break }
      total += UInt64(n)
      guard total <= info.size else { throw DigitsError.file(path, "entry \(name) holds more than its stated size") }
      do {
        try out.write(contentsOf: buffer[0..<Int(n)])
      } catch {
        throw DigitsError.file(destination, "cannot be written (\(error.localizedDescription))")
      }
    }
    guard total == info.size else { throw DigitsError.file(path, "entry \(name) holds fewer bytes than stated") }
  }
}
