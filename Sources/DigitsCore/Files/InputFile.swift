import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A file of untrusted bytes, opened for reading: refused unless it is a regular file (it
/// is opened O_NONBLOCK, so a named pipe is refused instead of hanging the command), with
/// its size known before anything is read, so a reader checks it against its limits first.
package final class InputFile {
  let path: String
  package let size: Int
  private let descriptor: Int32
  /// Where `read(into:)` goes on from.
  private var offset = 0

  /// `followLinks` false: a symbolic link (the last part of `path`) is refused, not followed.
  package init(path: String, followLinks: Bool = true) throws {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followLinks ? 0 : O_NOFOLLOW))
    guard descriptor >= 0 else {
      let why =
        errno == ENOENT
        ? "no such file"
        : errno == ELOOP && !followLinks ? "is a symbolic link (not followed)" : "cannot be read (\(Self.lastError))"
      throw DigitsError.file(path, why)
    }
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
      close(descriptor)
      throw DigitsError.file(path, "is not a regular file")
    }
    self.path = path
    self.descriptor = descriptor
    size = Int(info.st_size)
  }

  deinit { close(descriptor) }

  /// Fills `buffer` from byte `start` on, or as much of it as the file holds; returns the count.
  func read(at start: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    var total = 0
    while total < buffer.count {
      let n = pread(descriptor, buffer.baseAddress! + total, buffer.count - total, off_t(start + total))
      if n == 0 { break }
      if n < 0 {
        if errno == EINTR { continue }
        throw DigitsError.file(path, "cannot be read (\(Self.lastError))")
      }
      total += n
    }
    return total
  }

  /// Like `read(at:into:)`, going on from where the last call stopped (the start at first).
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    let n = try read(at: offset, into: buffer)
    offset += n
    return n
  }

  /// The whole file, refused above `limit` bytes before anything is read (the size is the
  /// descriptor's, so it is the file read, not one put in its place since).
  package func readAll(limit: Int) throws -> Data {
    guard size <= limit else { throw DigitsError.file(path, "is \(size) bytes, more than the \(limit)-byte limit") }
    var data = Data(count: size)
    let n = try data.withUnsafeMutableBytes { try read(at: 0, into: $0) }
    guard n == size else { throw DigitsError.file(path, "changed while it was read") }
    return data
  }

  /// The contents from the start as a stream of `read(into:)` calls: inflated when the file
  /// is gzip (magic 1f 8b), else as stored. Each call fills its buffer, fewer only at the end.
  package func contents() throws -> (gzipped: Bool, read: (UnsafeMutableRawBufferPointer) throws -> Int) {
    offset = 0
    guard try isGzip() else { return (false, read(into:)) }
    let gzip = try GzipReader(path: path) { [self] in try read(into: $0) }
    return (true, gzip.read(into:))
  }

  /// Whether the file starts with gzip's magic bytes 1f 8b.
  package func isGzip() throws -> Bool {
    var magic: (UInt8, UInt8) = (0, 0)
    let peeked = try withUnsafeMutableBytes(of: &magic) { try read(at: 0, into: $0) }
    return peeked == 2 && magic == (0x1F, 0x8B)
  }

  static var lastError: String { String(cString: strerror(errno)) }
}
