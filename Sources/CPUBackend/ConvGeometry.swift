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
    ShapeCheck.require(input.count == 4 && weight.count == 4 && weight[1] == input[1] && weight[2] == 3 && weight[3] == 3
                       && input[2] >= 3 && input[3] >= 3, "conv2d", "input \(input) weight \(weight)")
    (n, c, h, w, k) = (input[0], input[1], input[2], input[3], weight[0])
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
  /// dx[ch, r+dr, q+dq] = sum of col[(ch*3 + dr)*3 + dq, r*OW + q] over the taps that reach
  /// it: the adjoint of im2col, for one image.
  func col2im(_ col: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
    dx.update(repeating: 0, count: inputSize)
    for ch in 0..<c {
      let plane = dx + ch * h * w
      for dr in 0..<3 {
        for dq in 0..<3 {
          let src0 = col + ((ch * 3 + dr) * 3 + dq) * pixels
          for r in 0..<oh {
            let dst = plane + (r + dr) * w + dq, src = src0 + r * ow
            for q in 0..<ow { dst[q] += src[q] }
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
    for q in 0..<panels {
      let panel = packed + q * rows * 16
      for l in 0..<16 {
        let o = q * 16 + l
        if o >= k {
          for p in 0..<rows { panel[p * 16 + l] = 0 }
          continue
        }
        var sum: Float = 0
        for i in 0..<images {
          let src = dy + (i * k + o) * pixels, dst = panel + i * pixels * 16 + l
          for p in 0..<pixels {
            let v = src[p]
            dst[p * 16] = v
            sum += v
          }
        }
        biasSums[o] += sum
      }
    }
  }
}
