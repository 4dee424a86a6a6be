import COpenCL
import DigitsCore

/// An image set's copy in device memory: pixels as bytes, as they are in the IDX files (47 MB
/// for MNIST's 60,000 training images, a quarter of Float32), labels as `LabeledImages.Label`
/// (ushort in the kernels), and the order batches take them in.
final class CLImageSet {
  let count: Int
  let pixelsPerImage: Int
  let images: CLBuffer
  let labels: CLBuffer
  /// Image indices as Float (exact below 2^24), uploaded by `setOrder`; nil: stored order.
  var order: Tensor?

  init(count: Int, pixelsPerImage: Int, images: CLBuffer, labels: CLBuffer) {
    self.count = count
    self.pixelsPerImage = pixelsPerImage
    self.images = images
    self.labels = labels
  }
}

/// data.cl: image sets resident on the device, batches gathered there; one Adam launch.
extension OpenCLBackend {
  public func makeImageSet(_ data: LabeledImages) -> ImageSet {
    let images = data.images.withUnsafeBytes { makeBytes($0) }
    let labels = data.labels.withUnsafeBytes { makeBytes($0) }
    let resident = CLImageSet(
      count: data.count, pixelsPerImage: data.pixelsPerImage, images: images, labels: labels)
    return ImageSet(data, resident: resident)
  }

  /// The device copy of a set this backend made.
  func resident(_ images: ImageSet) -> CLImageSet {
    guard let set = images.resident as? CLImageSet else {
      preconditionFailure("OpenCLBackend got an image set of another backend (\(type(of: images.resident)))")
    }
    return set
  }

  /// Uploads the order (a blocking write: once an epoch, outside the steps).
  public func setOrder(_ order: [Int]?, of images: ImageSet) {
    precondition(order == nil || order!.count == images.count, "setOrder: \(order!.count) indices for \(images.count)")
    let set = resident(images)
    images.order = order
    guard let order else {
      set.order = nil
      return
    }
    let tensor = set.order ?? makeTensor([set.count])
    set.order = tensor
    order.map(Float.init).withUnsafeBufferPointer { upload($0, to: tensor) }
  }

  /// A buffer holding `bytes` (a blocking write: once per set, outside the training steps).
  private func makeBytes(_ bytes: UnsafeRawBufferPointer) -> CLBuffer {
    let buffer = make(count: (bytes.count + 3) / 4)
    if fault != nil || bytes.isEmpty { return buffer }
    recorder.waited()
    recorder.uploaded(bytes.count)
    let status = api.enqueueWriteBuffer(
      queue, buffer.mem, cl_bool(CL_TRUE), 0, bytes.count, bytes.baseAddress, 0, nil, nil)
    check(status, "clEnqueueWriteBuffer(\(bytes.count) bytes)")
    return buffer
  }

  public func gather(_ images: ImageSet, start: Int, pixels: Tensor, labels: Tensor) {
    let set = resident(images)
    let n = labels.count
    ShapeCheck.require(
      pixels.count == n * set.pixelsPerImage && start >= 0 && start + n <= set.count, "gather",
      "pixels \(pixels.shape), labels \(labels.shape), start \(start), set of \(set.count)")
    let orderMem = set.order.map { mem($0).mem } ?? set.labels.mem
    launch(
      .gatherImages, elements: n * set.pixelsPerImage, .mem(set.images.mem), .mem(set.labels.mem), .mem(orderMem),
      .int(set.order == nil ? 0 : 1), .int(start), .int(n), .int(set.pixelsPerImage), .mem(mem(pixels).mem),
      .mem(mem(labels).mem))
  }

  public func flush() {
    finishReductions()
    if fault == nil { check(api.flush(queue), "clFlush") }
  }

  public func adamUpdate(parameters: [Tensor], gradients: [Tensor], m: [Tensor], v: [Tensor], step: AdamStep) {
    let slots = KernelConstants.adamSlots
    precondition(gradients.count == parameters.count && m.count == parameters.count && v.count == parameters.count)
    for first in stride(from: 0, to: parameters.count, by: slots) {
      let group = first..<min(parameters.count, first + slots)
      var args: [CLArg] = []
      var end = 0
      for j in 0..<slots {
        let i = min(group.lowerBound + j, group.upperBound - 1)
        let count = parameters[i].count
        ShapeCheck.require(
          gradients[i].count == count && m[i].count == count && v[i].count == count, "adamUpdate",
          "parameter \(parameters[i].shape), gradient \(gradients[i].shape), m \(m[i].shape), v \(v[i].shape)")
        if group.lowerBound + j < group.upperBound { end += count }
        args += [
          .mem(mem(parameters[i]).mem), .mem(mem(gradients[i]).mem), .mem(mem(m[i]).mem), .mem(mem(v[i]).mem),
          .int(end),
        ]
      }
      args += [.float(step.stepSize), .float(step.beta1), .float(step.beta2), .float(step.epsilon)]
      launch(.adamUpdateAll, elements: end, arguments: args)
    }
  }
}
