import DigitsCore

/// Lays a cropped digit out the way MNIST was built: scaled (anti-aliased, aspect kept) to
/// fit a 20x20 box, then placed in a 28x28 field so that its centre of mass sits where
/// MNIST's digits have theirs. Stroke width is brought near MNIST's first, because a thin
/// pen line on a large digit would otherwise shrink to a faint hairline.
public enum MNISTLayout {
  public static let side = MNISTShape.side
  public static let box = 20
  /// Work resolution while adjusting strokes, as a multiple of the final size.
  static let oversample = 4
  /// Mean centre of mass of MNIST's training digits in pixel-index coordinates: (14.01,
  /// 14.00) over every 10th of the 60,000 (PredictTests' MNISTLayoutConstantsTests checks it).
  public static let centre: (x: Float, y: Float) = (14, 14)
  /// Median stroke width (`Strokes.width`) of MNIST's training digits at the work
  /// resolution (oversample x the 20 px box): 9.4 px; 10% are below 6.7, 10% above 13.1.
  public static let targetStrokeWidth: Float = 9.4

  /// `crop` holds ink (0...1) of `width` x `height` pixels, already cut to the digit. Returns
  /// 784 values, ink 1 on black 0.
  public static func field(
    crop: [Float], width: Int, height: Int, adjustStrokes: Bool = true,
    strokeTarget: Float = targetStrokeWidth, centre: (x: Float, y: Float) = centre
  ) -> [Float] {
    precondition(crop.count == width * height && width > 0 && height > 0)
    let scale = Float(box) / Float(max(width, height))
    let ow = max(1, Int((Float(width) * scale * Float(oversample)).rounded()))
    let oh = max(1, Int((Float(height) * scale * Float(oversample)).rounded()))
    var work = Resample.area(crop, width: width, height: height, toWidth: ow, toHeight: oh)
    if adjustStrokes { Strokes.normalize(&work, width: ow, height: oh, target: strokeTarget) }
    let fw = max(1, Int((Float(ow) / Float(oversample)).rounded()))
    let fh = max(1, Int((Float(oh) / Float(oversample)).rounded()))
    var small = Resample.area(work, width: ow, height: oh, toWidth: fw, toHeight: fh)
    if let peak = small.max(), peak > 0 { for i in small.indices { small[i] = min(1, small[i] / peak) } }
    return place(small, width: fw, height: fh, centre: centre)
  }

  /// Puts a small image into the 28x28 field, centre of mass on `centre` (whole pixels,
  /// as MNIST did), kept fully inside the field.
  static func place(_ image: [Float], width: Int, height: Int, centre: (x: Float, y: Float)) -> [Float] {
    var mass: Float = 0, mx: Float = 0, my: Float = 0
    for y in 0..<height {
      for x in 0..<width {
        let v = image[y * width + x]
        mass += v
        mx += v * Float(x)
        my += v * Float(y)
      }
    }
    let cx = mass > 0 ? mx / mass : Float(width - 1) / 2
    let cy = mass > 0 ? my / mass : Float(height - 1) / 2
    let ox = max(0, min(side - width, Int((centre.x - cx).rounded())))
    let oy = max(0, min(side - height, Int((centre.y - cy).rounded())))
    var out = [Float](repeating: 0, count: side * side)
    for y in 0..<height {
      for x in 0..<width { out[(y + oy) * side + x + ox] = image[y * width + x] }
    }
    return out
  }
}

/// Separable area-weighted resampling: each output pixel averages the input area it covers
/// (box filter with fractional edges), which anti-aliases when shrinking and replicates
/// when enlarging.
public enum Resample {
  public static func area(_ src: [Float], width sw: Int, height sh: Int, toWidth dw: Int, toHeight dh: Int) -> [Float] {
    if sw == dw && sh == dh { return src }
    precondition(src.count >= sw * sh)
    let xs = Taps(from: sw, to: dw), ys = Taps(from: sh, to: dh)
    var rows = [Float](repeating: 0, count: dw * sh)
    var out = [Float](repeating: 0, count: dw * dh)
    src.withUnsafeBufferPointer { src in
      rows.withUnsafeMutableBufferPointer { rows in
        xs.first.withUnsafeBufferPointer { first in
          xs.index.withUnsafeBufferPointer { index in
            xs.weight.withUnsafeBufferPointer { weight in
              for y in 0..<sh {
                let line = src.baseAddress! + y * sw, row = rows.baseAddress! + y * dw
                // A row of zeros (margin around a digit) stays zero: each sum would be
                // +0 plus products that are all +-0.
                if ImageOps.allZero(line, sw) { continue }
                var t = 0
                for x in 0..<dw {
                  let end = first[x + 1]
                  var s: Float = 0
                  while t < end {
                    s += line[index[t]] * weight[t]
                    t &+= 1
                  }
                  row[x] = s
                }
              }
            }
          }
        }
        out.withUnsafeMutableBufferPointer { out in
          for y in 0..<dh {
            let o = out.baseAddress! + y * dw
            for t in ys.first[y]..<ys.first[y + 1] {
              let r = rows.baseAddress! + ys.index[t] * dw, wgt = ys.weight[t]
              for x in 0..<dw { o[x] += r[x] * wgt }
            }
          }
        }
      }
    }
    return out
  }

  /// For each output index j, the input indices it overlaps and their normalised weights:
  /// entries `first[j]..<first[j + 1]` of `index` and `weight` (flat, so building and
  /// reading them allocates nothing per output pixel).
  struct Taps {
    var first: [Int] = [0]
    var index: [Int] = []
    var weight: [Float] = []

    init(from n: Int, to m: Int) {
      let step = Double(n) / Double(m)
      first.reserveCapacity(m + 1)
      for j in 0..<m {
        let a = Double(j) * step, b = Double(j + 1) * step
        var i = Int(a.rounded(.down))
        while Double(i) < b && i < n {
          let overlap = min(b, Double(i + 1)) - max(a, Double(i))
          if overlap > 1e-9 {
            index.append(i)
            weight.append(Float(overlap / step))
          }
          i += 1
        }
        first.append(index.count)
      }
    }
  }
}
