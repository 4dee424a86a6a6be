import DigitsCore

/// 3x3 valid convolution, stride 1, NCHW, as GEMMs per image. The im2col matrix is never
/// built for the forward pass or the weight gradient: the micro-kernel reads the image
/// through two offset tables (`Tile.tabled`), tap(ch, dr, dq) = ch*H*W + dr*W + dq and
/// pixel(r, q) = r*W + q, so im2col[tap, pixel] = x[tap + pixel].
///
/// Letters as in `Backend`: N, C, H, W input; K output channels; OH = H-2, OW = W-2;
/// CK = C*9 taps; P = OH*OW output pixels.
extension SIMDBackend {
  public func conv2dForward(input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, relu: Bool) {
    counters.launches += 1
    let g = ConvGeometry(x.shape, w.shape)
    ShapeCheck.require(
      y.shape == [g.n, g.k, g.oh, g.ow] && b.shape == [g.k], "conv2dForward",
      "x \(x.shape) w \(w.shape) b \(b.shape) y \(y.shape)")
    let Y = write(y), X = read(x), W = read(w), B = read(b)
    if g.prefersDirect {
      let parts = workers(items: g.n, flopsEach: 2 * g.k * g.ck * g.pixels)
      parallel(parts) { t in
        for i in SIMDBackend.share(g.n, t, parts) {
          g.directForward(X + i * g.inputSize, W, B, Y + i * g.k * g.pixels, relu: relu)
        }
      }
      return
    }
    // Images go through the GEMM in pairs: fewer partial 6-row tiles (121 pixels = 20 tiles
    // and 1 row; 242 = 40 tiles and 2 rows).
    let pair = 2, panels = (g.k + 15) / 16
    let packed = workspace.floats(panels * g.ck * 16)
    let tables = workspace.ints(g.ck + pair * g.pixels)
    g.fillTapTable(tables)
    g.fillPixelTable(tables + g.ck, images: pair)
    // W^T in 16-channel panels: panel q holds W[16q + l, tap] at (q * CK + tap) * 16 + l.
    for q in 0..<panels {
      for l in 0..<16 {
        let o = q * 16 + l, dst = packed + q * g.ck * 16 + l
        if o < g.k {
          for tap in 0..<g.ck { dst[tap * 16] = W[o * g.ck + tap] }
        } else {
          for tap in 0..<g.ck { dst[tap * 16] = 0 }
        }
      }
    }
    // Y^T[pixel, o] = sum over taps of im2col^T[pixel, tap] * W^T[tap, o] (+ b[o]), into a
    // pixel-major scratch with contiguous rows, then transposed into NCHW.
    let kp = panels * 16
    var job = GEMMJob(m: g.pixels, n: g.k, k: g.ck, a: X, b: packed, c: Y)
    job.aRowTable = UnsafePointer(tables + g.ck)
    job.aColTable = UnsafePointer(tables)
    job.bPacked = true
    job.cRowStride = kp
    job.bias = UnsafePointer(B)
    job.relu = relu
    let scratch = workspace.perThreadFloats(GEMMJob.scratchFloats + pair * g.pixels * kp)
    let parts = workers(items: g.n, flopsEach: 2 * g.k * g.ck * g.pixels)
    let template = job  // a captured `var` would be boxed on the heap
    parallel(parts) { t in
      let s = scratch.base + t * scratch.stride, yT = s + GEMMJob.scratchFloats
      var job = template
      job.c = yT
      let mine = SIMDBackend.share(g.n, t, parts)
      for i in stride(from: mine.lowerBound, to: mine.upperBound, by: pair) {
        let count = min(pair, mine.upperBound - i), next = i + count
        if next < mine.upperBound {
          touch(X + next * g.inputSize, min(pair, mine.upperBound - next) * g.inputSize, sink: s)
        }
        job.a = UnsafePointer(X + i * g.inputSize)
        job.m = count * g.pixels
        job.run(mTiles: 0..<job.mTiles, panels: 0..<job.panels, scratch: s)
        for j in 0..<count {
          Transpose.run(
            yT + j * g.pixels * kp, srcStride: kp, rows: g.pixels, cols: g.k,
            Y + (i + j) * g.k * g.pixels, dstStride: g.pixels)
        }
      }
    }
  }

  public func conv2dBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor) {
    counters.launches += 1
    let g = ConvGeometry(dx.shape, w.shape)
    ShapeCheck.require(
      dy.shape == [g.n, g.k, g.oh, g.ow], "conv2dBackwardInput",
      "dy \(dy.shape) w \(w.shape) dx \(dx.shape)")
    let DX = write(dx), W = read(w), DY = read(dy)
    let entries = g.k * g.pixels, rs = g.sparseRowStride
    // Per thread: GEMM scratch, col (16 floats of slack each side), dcol^T and the non-zero
    // lists of the sparse path.
    let colSize = Workspace.roundUp(g.ck * g.pixels + 32)
    let scratch = workspace.perThreadFloats(GEMMJob.scratchFloats + colSize + g.pixels * rs)
    let lists = workspace.perThreadInts(g.k + 1 + g.pixels + 1 + 2 * entries)
    let ints = workspace.ints(g.ow + 32 + g.ck), lanes = ints, rowTable = ints + g.ow + 32
    g.fillCol2imMasks(lanes)
    let packedW = workspace.floats((g.ck + 5) / 6 * 6 * g.k)
    GEMMJob.packRowPanels(W, m: g.ck, k: g.k, rowStride: 1, colStride: g.ck, into: packedW, rowTable: rowTable)
    // col[tap, pixel] = sum over o of W^T[tap, o] * dy[o, pixel], then col2im.
    var job = GEMMJob(m: g.ck, n: g.pixels, k: g.k, a: packedW, b: W, c: scratch.base)
    job.aRowTable = UnsafePointer(rowTable)
    job.aColStride = 6
    job.bRowStride = g.pixels
    job.cRowStride = g.pixels
    let parts = workers(items: g.n, flopsEach: 2 * g.k * g.ck * g.pixels)
    let template = job  // a captured `var` would be boxed on the heap
    parallel(parts) { t in
      let s = scratch.base + t * scratch.stride
      let col = s + GEMMJob.scratchFloats + 16, colT = col - 16 + colSize
      let channelStarts = lists.base + t * lists.stride, pixel = channelStarts + g.k + 1
      let pixelStarts = pixel + entries, channel = pixelStarts + g.pixels + 1
      var job = template
      job.c = col
      let mine = SIMDBackend.share(g.n, t, parts)
      for i in mine {
        let dyi = UnsafePointer(DY + i * entries)
        if i + 1 < mine.upperBound { touch(dyi + entries, entries, sink: s) }
        if let count = g.nonzerosByChannel(dyi, limit: g.sparseLimit, starts: channelStarts, pixel: pixel) {
          g.nonzerosByPixel(
            count: count, channelStarts: channelStarts, pixel: pixel, starts: pixelStarts, channel: channel)
          g.sparseColumnGrad(weight: W, dy: dyi, starts: pixelStarts, channel: channel, into: colT, stride: rs)
          Transpose.run(colT, srcStride: rs, rows: g.pixels, cols: g.ck, col, dstStride: g.pixels)
        } else {
          job.b = UnsafePointer(dyi)
          job.run(mTiles: 0..<job.mTiles, panels: 0..<job.panels, scratch: s)
        }
        g.col2im(col, into: DX + i * g.inputSize, lanes: lanes)
      }
    }
  }

  public func conv2dBackwardWeight(input x: Tensor, outputGrad dy: Tensor, weightGrad dw: Tensor, biasGrad db: Tensor) {
    counters.launches += 1
    let g = ConvGeometry(x.shape, dw.shape)
    ShapeCheck.require(
      dy.shape == [g.n, g.k, g.oh, g.ow] && db.shape == [g.k], "conv2dBackwardWeight",
      "x \(x.shape) dy \(dy.shape) dw \(dw.shape) db \(db.shape)")
    let DW = write(dw), DB = write(db), X = read(x), DY = UnsafePointer(read(dy))
    if g.prefersDirect {
      directWeightGrad(g, X, DY, DW, DB)
      return
    }
    let panels = (g.k + 15) / 16, kp = panels * 16
    let entries = g.k * g.pixels, rs = g.sparseRowStride
    let chunk = max(1, min(g.n, ConvGeometry.weightGradChunk(pixels: g.pixels)))
    let tables = workspace.ints(g.ck + chunk * g.pixels)
    g.fillTapTable(tables)
    g.fillPixelTable(tables + g.ck, images: chunk)
    // Per thread: dW^T partial [CK, kp] of the dense path, dW partial [K, rs] of the sparse
    // path, db partial [kp], dy^T panels of one chunk, im2col^T and the non-zero lists.
    let denseSize = g.ck * kp, sparseSize = g.k * rs
    let partialSize = Workspace.roundUp(denseSize + sparseSize + kp)
    let panelSize = Workspace.roundUp(panels * chunk * g.pixels * 16)
    let scratch = workspace.perThreadFloats(GEMMJob.scratchFloats + partialSize + panelSize + g.pixels * rs)
    let lists = workspace.perThreadInts(g.k + 1 + entries)
    let parts = workers(items: g.n, flopsEach: 2 * g.k * g.ck * g.pixels)
    parallel(parts) { t in
      let s = scratch.base + t * scratch.stride
      let dense = s + GEMMJob.scratchFloats, sparse = dense + denseSize, biasPartial = sparse + sparseSize
      let packed = dense + partialSize, colT = packed + panelSize
      let starts = lists.base + t * lists.stride, pixel = starts + g.k + 1
      dense.update(repeating: 0, count: partialSize)
      // Runs of up to `chunk` consecutive dense images share one GEMM. (A plain loop state,
      // not a nested function: captured variables would be boxed on the heap.)
      var job = GEMMJob(m: g.ck, n: g.k, k: 0, a: X, b: packed, c: dense)
      job.aRowTable = UnsafePointer(tables)
      job.aColTable = UnsafePointer(tables + g.ck)
      job.bPacked = true
      job.cRowStride = kp
      job.accumulate = true
      var first = 0, count = 0, runDy = DY
      let mine = SIMDBackend.share(g.n, t, parts)
      for i in mine.lowerBound...mine.upperBound {
        var sparseImage = false
        var dyi = runDy
        if i < mine.upperBound {
          dyi = DY + i * entries
          touch(X + i * g.inputSize, g.inputSize, sink: s)
          sparseImage = g.nonzerosByChannel(dyi, limit: g.sparseLimit, starts: starts, pixel: pixel) != nil
          if !sparseImage {
            if count == 0 { (first, runDy) = (i, dyi) }
            count += 1
          }
        }
        // Flush the dense run when it is full, broken by a sparse image, or at the end.
        if count > 0 && (count == chunk || sparseImage || i == mine.upperBound) {
          g.packOutputGradT(runDy, images: count, into: packed, biasSums: biasPartial)
          // dW^T[tap, o] += sum over (image, pixel) of x[tap + pixel] * dy^T[pixel, o].
          job.a = UnsafePointer(X + first * g.inputSize)
          job.k = count * g.pixels
          job.run(mTiles: 0..<job.mTiles, panels: 0..<job.panels, scratch: s)
          count = 0
        }
        if sparseImage {
          let xi = X + i * g.inputSize
          g.im2colT(xi, into: colT, stride: rs)
          g.sparseWeightGrad(colT: colT, stride: rs, dy: dyi, starts: starts, pixel: pixel, into: sparse)
          for o in 0..<g.k {
            for j in Int(starts[o])..<Int(starts[o + 1]) { biasPartial[o] += dyi[o * g.pixels + Int(pixel[j])] }
          }
        }
      }
    }
    // Fixed-order reduction over the threads' partials (dense ones transposed back).
    for o in 0..<g.k {
      for tap in 0..<g.ck {
        var sum: Float = 0
        for t in 0..<parts {
          let partial = scratch.base + t * scratch.stride + GEMMJob.scratchFloats
          sum += partial[tap * kp + o] + partial[denseSize + o * rs + tap]
        }
        DW[o * g.ck + tap] = sum
      }
      var sum: Float = 0
      for t in 0..<parts {
        sum += scratch.base[t * scratch.stride + GEMMJob.scratchFloats + denseSize + sparseSize + o]
      }
      DB[o] = sum
    }
  }

  /// The weight gradient by `ConvGeometry.directWeightGrad`: per-thread partial sums over
  /// that thread's images, added up in thread order.
  func directWeightGrad(
    _ g: ConvGeometry, _ X: UnsafePointer<Float>, _ DY: UnsafePointer<Float>,
    _ DW: UnsafeMutablePointer<Float>, _ DB: UnsafeMutablePointer<Float>
  ) {
    let lanes = workspace.ints(g.ow + 32)
    g.fillCol2imMasks(lanes)
    let partialSize = Workspace.roundUp(g.directPartialSize), biasSize = Workspace.roundUp(g.k)
    let scratch = workspace.perThreadFloats(partialSize + biasSize)
    let parts = workers(items: g.n, flopsEach: 2 * g.k * g.ck * g.pixels)
    parallel(parts) { t in
      let partial = scratch.base + t * scratch.stride, biasPartial = partial + partialSize
      partial.update(repeating: 0, count: partialSize + g.k)
      for i in SIMDBackend.share(g.n, t, parts) {
        let dyi = DY + i * g.k * g.pixels
        g.directWeightGrad(X + i * g.inputSize, dyi, partial, lanes: lanes)
        for o in 0..<g.k { biasPartial[o] += ConvGeometry.sum(dyi + o * g.pixels, g.pixels) }
      }
    }
    DW.update(repeating: 0, count: g.k * g.ck)
    DB.update(repeating: 0, count: g.k)
    for t in 0..<parts {
      let partial = scratch.base + t * scratch.stride
      g.addDirectPartial(partial, into: DW)
      for o in 0..<g.k { DB[o] += partial[partialSize + o] }
    }
  }
}
