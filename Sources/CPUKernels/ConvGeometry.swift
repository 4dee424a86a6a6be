import DigitsCore

/// Sizes of one convolution, read from the input (or input gradient) and weight shapes.
struct ConvGeometry {
  let n: Int, c: Int, h: Int, w: Int, k: Int
  var oh: Int { h - 2 }
  var ow: Int { w - 2 }
  var ck: Int { c * 9 }
  var pixels: Int { oh * ow }
  var inputSize: Int { c * h * w }

  init(_ input: [Int], _ weight: [Int]) {
    ShapeCheck.require(
      input.count == 4 && weight.count == 4 && weight[1] == input[1] && weight[2] == 3 && weight[3] == 3
        && input[2] >= 3 && input[3] >= 3, "conv2d", "input \(input) weight \(weight)")
    (n, c, h, w, k) = (input[0], input[1], input[2], input[3], weight[0])
    // Offset tables are Int32 and may span a few images.
    ShapeCheck.require(c * h * w < 1 << 26, "conv2d", "input \(input) is too large per image")
  }

  /// Images per weight-gradient GEMM: enough pixels to amortise the C update of each tile.
  static func weightGradChunk(pixels: Int) -> Int {
    max(1, 512 / max(pixels, 1))
  }

  /// table[tap] = ch*H*W + dr*W + dq for tap = (ch*3 + dr)*3 + dq.
  func fillTapTable(_ table: UnsafeMutablePointer<Int32>) {
    for ch in 0..<c {
      for dr in 0..<3 {
        for dq in 0..<3 { table[(ch * 3 + dr) * 3 + dq] = Int32(ch * h * w + dr * w + dq) }
      }
    }
  }

  /// table[i*P + r*OW + q] = i*C*H*W + r*W + q for `images` consecutive images.
  func fillPixelTable(_ table: UnsafeMutablePointer<Int32>, images: Int) {
    var index = 0
    for i in 0..<images {
      for r in 0..<oh {
        for q in 0..<ow {
          table[index] = Int32(i * inputSize + r * w + q)
          index += 1
        }
      }
    }
  }
}

extension ConvGeometry {
  /// dx[ch, y, x] = sum of col[(ch*3 + dr)*3 + dq, (y-dr)*OW + x-dq] over the taps that
  /// reach (y, x): the adjoint of im2col, for one image. Each dx row is built in registers,
  /// 8 columns at a time, from shifted col rows masked to the columns they reach, and stored
  /// once. `lanes` is the table from `fillCol2imMasks`.
  /// NOTE: reads up to 16 floats before and after `col` (masked out): leave slack there.
  func col2im(_ col: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, lanes: UnsafePointer<Int32>) {
    if w < 8 {
      col2imScalar(col, into: dx)
      return
    }
    // Tap (dr, dq) of row y reads col at (y*OW + x) + dr*(3P - OW) + dq*(P - 1).
    let rowStep = 3 * pixels - ow, tapStep = pixels - 1
    var x0 = 0
    while true {
      // Lane l of chunk x0 takes col column x0 + l - dq: valid when in 0..<OW.
      let m = UnsafeRawPointer(lanes + 16 + x0)
      let masks = (
        m.loadUnaligned(as: SIMD8<Int32>.self), m.loadUnaligned(fromByteOffset: -4, as: SIMD8<Int32>.self),
        m.loadUnaligned(fromByteOffset: -8, as: SIMD8<Int32>.self)
      )
      for ch in 0..<c {
        let base = col + ch * 9 * pixels + x0, out = dx + ch * h * w + x0
        for y in 0..<h {
          let p = base + y * ow
          var acc = SIMD8<Float>()
          if y < oh { acc += Self.taps(p, tapStep, masks) }
          if y >= 1 && y <= oh { acc += Self.taps(p + rowStep, tapStep, masks) }
          if y >= 2 { acc += Self.taps(p + 2 * rowStep, tapStep, masks) }
          store8(acc, out + y * w)
        }
      }
      if x0 + 8 == w { break }
      x0 = min(x0 + 8, w - 8)
    }
  }

  /// The lane masks of `col2im`: table[16 + j] = -1 (all bits) for j in 0..<OW, else 0;
  /// OW + 32 entries.
  func fillCol2imMasks(_ table: UnsafeMutablePointer<Int32>) {
    for j in 0..<(ow + 32) { table[j] = j >= 16 && j < 16 + ow ? -1 : 0 }
  }

  /// The three dq taps of one dr for 8 dx columns: col rows at p, p + step and p + 2*step, each masked
  /// (bitwise, so garbage in the slack never leaks) to the lanes it reaches.
  /// NOTE: masks come from memory, not built lane by lane: LLVM scalarises the latter.
  @inline(__always)
  static func taps(
    _ p: UnsafePointer<Float>, _ step: Int, _ m: (SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>)
  ) -> SIMD8<Float> {
    masked(load8(p), m.0) + masked(load8(p + step), m.1) + masked(load8(p + 2 * step), m.2)
  }

  @inline(__always)
  static func masked(_ v: SIMD8<Float>, _ m: SIMD8<Int32>) -> SIMD8<Float> {
    unsafeBitCast(unsafeBitCast(v, to: SIMD8<Int32>.self) & m, to: SIMD8<Float>.self)
  }

  /// col2im one element at a time, for rows narrower than a vector.
  func col2imScalar(_ col: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
    dx.update(repeating: 0, count: inputSize)
    for ch in 0..<c {
      for dr in 0..<3 {
        for dq in 0..<3 {
          let src = col + ((ch * 3 + dr) * 3 + dq) * pixels
          for r in 0..<oh {
            for q in 0..<ow { dx[(ch * h + r + dr) * w + q + dq] += src[r * ow + q] }
          }
        }
      }
    }
  }

  /// Packs dy of `images` consecutive images as dy^T in 16-channel panels for the weight
  /// gradient: panel q holds dy[i, 16q + l, pixel] at (q * images*P + i*P + pixel) * 16 + l,
  /// zero for channels past K. Adds each channel's sum to biasSums[o].
  func packOutputGradT(
    _ dy: UnsafePointer<Float>, images: Int, into packed: UnsafeMutablePointer<Float>,
    biasSums: UnsafeMutablePointer<Float>
  ) {
    let panels = (k + 15) / 16, rows = images * pixels
    for i in 0..<images {
      let image = dy + i * k * pixels
      for o0 in stride(from: 0, to: panels * 16, by: 8) {
        let dst = packed + (o0 / 16) * rows * 16 + i * pixels * 16 + o0 % 16
        if o0 + 8 <= k {
          Transpose.run(image + o0 * pixels, srcStride: pixels, rows: 8, cols: pixels, dst, dstStride: 16)
        } else {
          for p in 0..<pixels {
            for l in 0..<8 { dst[p * 16 + l] = o0 + l < k ? image[(o0 + l) * pixels + p] : 0 }
          }
        }
      }
      for o in 0..<k { biasSums[o] += Self.sum(image + o * pixels, pixels) }
    }
  }

  /// Sum of `count` floats, 8 lanes then the tail.
  @inline(__always)
  static func sum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
    var acc = SIMD8<Float>()
    var j = 0
    while j + 8 <= count {
      acc += load8(p + j)
      j += 8
    }
    var s = acc.sum()
    while j < count {
      s += p[j]
      j += 1
    }
    return s
  }
}
