/// Device memory owned by one backend. Backends downcast to their own buffer type.
public protocol DeviceBuffer: AnyObject {
  /// Number of Float32 elements.
  var count: Int { get }
}

/// A shaped view of a device buffer. Shapes are row-major; activations are NCHW,
/// convolution weights OIHW, dense weights [out, in] (the PyTorch layout).
public struct Tensor {
  public let shape: [Int]
  public let buffer: any DeviceBuffer

  public init(shape: [Int], buffer: any DeviceBuffer) {
    precondition(shape.reduce(1, *) == buffer.count, "shape \(shape) does not match buffer of \(buffer.count)")
    self.shape = shape
    self.buffer = buffer
  }

  public var count: Int { buffer.count }
  public var rank: Int { shape.count }
  public subscript(axis: Int) -> Int { shape[axis] }
}

/// Shape helpers shared by every backend so they check inputs the same way.
public enum ShapeCheck {
  /// Stops with a message naming the op when a precondition on shapes is false: shapes are
  /// fixed by the model, so a mismatch is a programming error, not user input.
  @inline(__always)
  public static func require(_ condition: Bool, _ op: StaticString, _ message: @autoclosure () -> String) {
    if !condition { preconditionFailure("\(op): \(message())") }
  }
}
