import DigitsCore

/// Fully connected layers as GEMMs on the row-major tensors, no copies beyond GEMM packing.
/// Letters: N batch, I inputs, O outputs; w is [O, I] (the PyTorch layout).
extension SIMDBackend {
  public func denseForward(input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, relu: Bool) {
    counters.launches += 1
    let (o, i, n) = (w[0], w[1], x[0])
    ShapeCheck.require(
      w.rank == 2 && x.count == n * i && y.shape == [n, o] && b.shape == [o], "denseForward",
      "x \(x.shape) w \(w.shape) b \(b.shape) y \(y.shape)")
    // y[N,O] = x[N,I] * w^T[I,O] + b
    let Y = write(y)
    if n <= Self.denseDotMaxBatch {
      Self.denseByDots(x: read(x), w: read(w), b: read(b), y: Y, n: n, o: o, i: i, relu: relu)
      return
    }
    var job = GEMMJob(m: n, n: o, k: i, a: read(x), b: read(w), c: Y)
    job.aRowStride = i
    job.aColStride = 1
    job.bRowStride = 1
    job.bColStride = i
    job.cRowStride = o
    job.bias = UnsafePointer(read(b))
    job.relu = relu
    run(job)
  }

  public func denseBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor) {
    counters.launches += 1
    let (o, i, n) = (w[0], w[1], dy[0])
    ShapeCheck.require(
      w.rank == 2 && dy.shape == [n, o] && dx.count == n * i, "denseBackwardInput",
      "dy \(dy.shape) w \(w.shape) dx \(dx.shape)")
    // dx[N,I] = dy[N,O] * w[O,I]
    let DX = write(dx)
    var job = GEMMJob(m: n, n: i, k: o, a: read(dy), b: read(w), c: DX)
    job.aRowStride = o
    job.aColStride = 1
    job.bRowStride = i
    job.cRowStride = i
    run(job)
  }

  public func denseBackwardWeight(input x: Tensor, outputGrad dy: Tensor, weightGrad dw: Tensor, biasGrad db: Tensor) {
    counters.launches += 1
    let (o, i, n) = (dw[0], dw[1], dy[0])
    ShapeCheck.require(
      dw.rank == 2 && dy.shape == [n, o] && x.count == n * i && db.shape == [o], "denseBackwardWeight",
      "x \(x.shape) dy \(dy.shape) dw \(dw.shape) db \(db.shape)")
    let DW = write(dw), DB = write(db), DY = read(dy)
    // dw[O,I] = dy^T[O,N] * x[N,I]
    var job = GEMMJob(m: o, n: i, k: n, a: DY, b: read(x), c: DW)
    job.aRowStride = 1
    job.aColStride = o
    job.bRowStride = i
    job.cRowStride = i
    run(job)
    // db[O] = column sums of dy, rows added in order.
    DB.update(repeating: 0, count: o)
    for r in 0..<n {
      let row = DY + r * o
      for j in 0..<o { DB[j] += row[j] }
    }
  }

  /// Batches up to this size take `denseByDots` (a server reading one picture at a time).
  static let denseDotMaxBatch = 4

  /// y = x w^T + b as one dot product per output over w's contiguous rows, each row read
  /// once for all n inputs. For a tiny batch, GEMM's packing of all of w into panels (a
  /// strided gather of 200K floats for fc1) costs several times the product itself.
  static func denseByDots(
    x: UnsafePointer<Float>, w: UnsafePointer<Float>, b: UnsafePointer<Float>,
    y: UnsafeMutablePointer<Float>, n: Int, o: Int, i: Int, relu: Bool
  ) {
    let body = i & ~15
    for j in 0..<o {
      let row = UnsafeRawPointer(w + j * i)
      for s in 0..<n {
        let input = UnsafeRawPointer(x + s * i)
        var low = SIMD8<Float>(), high = SIMD8<Float>()
        var k = 0
        while k < body {
          low = low.mulAdd(
            row.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self),
            input.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self))
          high = high.mulAdd(
            row.loadUnaligned(fromByteOffset: 4 * k + 32, as: SIMD8<Float>.self),
            input.loadUnaligned(fromByteOffset: 4 * k + 32, as: SIMD8<Float>.self))
          k += 16
        }
        var sum = (low + high).sum()
        while k < i {
          sum += w[j * i + k] * x[s * i + k]
          k += 1
        }
        sum += b[j]
        y[s * o + j] = relu ? max(0, sum) : sum
      }
    }
  }
}
