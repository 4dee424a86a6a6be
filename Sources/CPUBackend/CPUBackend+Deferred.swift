import DigitsCore

/// Deferred max-pool backward passes.
///
/// `maxPool2Backward` writes dx = the pooled gradient routed to each window's winner, zero
/// elsewhere: for the first layer that is 11 MB at batch 128, three quarters zeros, which the
/// ReLU backward pass then reads and writes again and the weight gradient reads once more,
/// all from DRAM (the step's tensors do not fit in cache). Instead dx remembers where its
/// contents come from (`DeferredUnpool`: the pooled gradient and the argmax codes) and:
/// - `reluBackward(y, dx)` masks the pooled gradient where the window's winner is not > 0,
///   which it reads from the pooled output when `maxPool2Forward` produced it from y
///   (`PoolRecord`; y[winner] is the pooled value): 2.8 MB instead of 33 MB of traffic;
/// - the convolution backward passes unpool one image at a time into cache-resident scratch;
/// - anything else that reads dx (any other op, `download`) writes it out first.
///
/// Every op reads its inputs through `read` and claims its outputs through `write`, which
/// keep this consistent: a buffer is written out before anything reads it the ordinary way,
/// and when a buffer its contents come from is about to be overwritten (the next step's
/// pooling writes the argmax codes again), that source is first copied into the buffer's
/// private storage: a quarter of the bytes of writing it out. `version` counts writes, so a
/// `PoolRecord` is only trusted while none of its three buffers has changed.
struct DeferredUnpool {
  /// Pooled gradient [N, C, H/2, W/2]: the op's dy, or the buffer's private (masked) copy.
  var gradient: CPUBuffer
  var argmax: CPUBuffer
  let n: Int, c: Int, h: Int, w: Int
}

/// Written on a max pooling input: `maxPool2Forward` produced `output` and `argmax` from it.
struct PoolRecord {
  weak var output: CPUBuffer?
  weak var argmax: CPUBuffer?
  let inputVersion: Int, outputVersion: Int, argmaxVersion: Int
}

struct WeakBuffer {
  weak var buffer: CPUBuffer?
}

extension CPUBackend {
  /// The elements of `t`, for reading: deferred contents are written out first.
  func read(_ t: Tensor) -> UnsafeMutablePointer<Float> {
    let b = buf(t)
    if b.deferred != nil { materialize(b) }
    return b.pointer
  }

  /// The elements of `t`, to be overwritten (or, with `inPlace`, read and updated). Buffers
  /// whose deferred contents come from `t` stop depending on it first, and `t` counts as
  /// changed.
  @discardableResult
  func write(_ t: Tensor, inPlace: Bool = false) -> UnsafeMutablePointer<Float> {
    let b = buf(t)
    detachDependents(from: b)
    if b.deferred != nil {
      if inPlace { materialize(b) } else { forget(b) }
    }
    b.version &+= 1
    return b.pointer
  }

  /// Makes `dx` stand for unpool(gradient, argmax) without writing it.
  func deferUnpool(_ dx: Tensor, gradient: Tensor, argmax: Tensor) {
    let b = buf(dx)
    write(dx)
    b.deferred = DeferredUnpool(gradient: buf(gradient), argmax: buf(argmax), n: dx[0], c: dx[1], h: dx[2], w: dx[3])
    deferredBuffers.removeAll { $0.buffer == nil || $0.buffer === b }
    deferredBuffers.append(WeakBuffer(buffer: b))
  }

  /// The pooled outputs of `y` that `argmax` came with, while y, them and argmax are unchanged.
  func pooledOutput(of y: CPUBuffer, argmax: CPUBuffer) -> CPUBuffer? {
    guard let record = y.pooled, let output = record.output, record.argmax === argmax,
          record.inputVersion == y.version, record.outputVersion == output.version,
          record.argmaxVersion == argmax.version
    else { return nil }
    return output
  }

  /// Copies `source` into the private storage of every deferred buffer that reads it, so it
  /// can be overwritten.
  func detachDependents(from source: CPUBuffer) {
    // Deferred buffers are few (one per pooling layer), so a scan is cheap.
    for entry in deferredBuffers {
      guard let d = entry.buffer, var pending = d.deferred else { continue }
      if pending.gradient === source {
        pending.gradient = Self.copy(source, into: &d.privateGradient)
      }
      if pending.argmax === source {
        pending.argmax = Self.copy(source, into: &d.privateArgmax)
      }
      d.deferred = pending
    }
  }

  /// `source`'s elements in `storage` (allocated, or reallocated to its size, as needed).
  static func copy(_ source: CPUBuffer, into storage: inout CPUBuffer?) -> CPUBuffer {
    let copy = storage.flatMap { $0.count == source.count ? $0 : nil } ?? CPUBuffer(count: source.count)
    storage = copy
    copy.pointer.update(from: source.pointer, count: source.count)
    return copy
  }

  /// Writes out `b`'s deferred contents.
  func materialize(_ b: CPUBuffer) {
    guard let d = b.deferred else { return }
    forget(b)
    let (ph, pw) = (d.h / 2, d.w / 2)
    let G = d.gradient.pointer, A = d.argmax.pointer, DX = b.pointer
    let planes = d.n * d.c
    let parts = workers(items: planes, flopsEach: d.h * d.w)
    parallel(parts) { t in
      for plane in CPUBackend.share(planes, t, parts) {
        Self.unpoolPlane(G + plane * ph * pw, A + plane * ph * pw, into: DX + plane * d.h * d.w, h: d.h, w: d.w)
      }
    }
  }

  func forget(_ b: CPUBuffer) {
    b.deferred = nil
    deferredBuffers.removeAll { $0.buffer == nil || $0.buffer === b }
  }

  /// One image of a deferred unpool, written to `dx` (C*H*W floats).
  static func unpoolImage(_ d: DeferredUnpool, _ i: Int, into dx: UnsafeMutablePointer<Float>) {
    let (ph, pw) = (d.h / 2, d.w / 2)
    for ch in 0..<d.c {
      let plane = i * d.c + ch
      unpoolPlane(d.gradient.pointer + plane * ph * pw, d.argmax.pointer + plane * ph * pw,
                  into: dx + ch * d.h * d.w, h: d.h, w: d.w)
    }
  }
}
