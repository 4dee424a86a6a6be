import DigitsCore
import OpenCLBackend
import Testing
import _TestSupport

/// Tensors: zero-filled on creation, upload/download round trips, zero, empty shapes, and
/// buffers reused through the pool.
@Suite(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
struct MemoryTests {
  @Test(arguments: OpenCLTestDevice.indices)
  func roundTripAndZero(device: Int) throws {
    let backend = try OpenCLTestDevice.backend(device)
    #expect(backend.name.contains(backend.device.name))
    var rng = TestRandom(seed: 1)
    for shape in [[1], [3, 5], [127, 1, 28, 28]] {
      let count = shape.reduce(1, *)
      let fresh = backend.makeTensor(shape)
      #expect(backend.download(fresh) == [Float](repeating: 0, count: count))
      let values = rng.array(count)
      let t = backend.makeTensor(shape, values: values)
      #expect(backend.download(t) == values)
      backend.zero(t)
      backend.synchronize()
      #expect(backend.download(t) == [Float](repeating: 0, count: count))
    }
    let empty = backend.makeTensor([0, 10])
    #expect(backend.download(empty).isEmpty)
  }

  /// A released tensor's buffer is reused by the next tensor of the same size (one buffer
  /// asked of the driver for four tensors made one after another), and comes back zeroed.
  @Test(arguments: OpenCLTestDevice.indices)
  func pooledBuffersAreReusedAndComeBackZeroed(device: Int) throws {
    let backend = try OpenCLTestDevice.backend(device)
    let before = backend.buffersCreated
    for _ in 0..<3 {
      let t = backend.makeTensor([64, 10], values: [Float](repeating: 3, count: 640))
      #expect(backend.download(t).allSatisfy { $0 == 3 })
    }
    #expect(backend.download(backend.makeTensor([64, 10])).allSatisfy { $0 == 0 })
    #expect(backend.buffersCreated - before == 1, "four tensors of one size, made one at a time, share one buffer")
    let held = backend.makeTensor([64, 10])
    withExtendedLifetime(held) {
      _ = backend.makeTensor([64, 10])
      #expect(backend.buffersCreated - before == 2, "two tensors alive at once need two buffers")
    }
  }
}
