/// A labelled image set kept by a backend for `Backend.gather` (`Backend.makeImageSet`): the
/// bytes as loaded, the order batches take them in, and the backend's own copy where it
/// keeps one in device memory.
public final class ImageSet {
  public let data: LabeledImages
  /// Image indices `gather` takes in turn; nil: as stored. Set through `Backend.setOrder`,
  /// which also puts them where the backend reads them.
  public var order: [Int]?
  /// The backend's resident copy (of its own type), nil for a backend that gathers on the host.
  public let resident: AnyObject?
  /// The host gather's batch buffers, reused from step to step.
  var pixels: [Float] = []
  var labels: [Float] = []

  public init(_ data: LabeledImages, resident: AnyObject? = nil) {
    self.data = data
    self.resident = resident
  }

  public var count: Int { data.count }

  /// The indices of images start..<start+count in `order`.
  public func indices(start: Int, count: Int) -> ArraySlice<Int> {
    order?[start..<(start + count)] ?? Array(start..<(start + count))[...]
  }

  /// Images start..<start+count in `order`, scaled to [0, 1], and their labels, into the
  /// host batch buffers (grown to fit, never shrunk).
  func fillHostBatch(start: Int, count: Int) {
    let size = count * data.pixelsPerImage
    if pixels.count < size { pixels = [Float](repeating: 0, count: size) }
    if labels.count < count { labels = [Float](repeating: 0, count: count) }
    let chosen = indices(start: start, count: count)
    pixels.withUnsafeMutableBufferPointer { p in
      labels.withUnsafeMutableBufferPointer { l in
        data.fill(
          indices: chosen, pixels: UnsafeMutableBufferPointer(rebasing: p[0..<size]),
          labels: UnsafeMutableBufferPointer(rebasing: l[0..<count]))
      }
    }
  }
}
