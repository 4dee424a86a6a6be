import DigitsCore

/// Some components of an ink map (optionally only the columns `columns` of them): one digit.
/// Its crop holds those components' ink plus the faint anti-aliased fringe around them,
/// and nothing of other components (specks, neighbouring digits).
public struct InkRegion: Sendable {
  let labels: [Int32]
  let mapWidth: Int
  let keep: [Bool]
  public let columns: Range<Int>
  /// Crop box in ink-map pixels: the kept pixels' bounding box grown by one pixel of fringe.
  public let minX: Int, minY: Int, maxX: Int, maxY: Int
  /// Kept pixels above the component threshold.
  public let area: Int

  public var width: Int { maxX - minX + 1 }
  public var height: Int { maxY - minY + 1 }

  /// nil when the components (within `columns`) hold no pixel.
  public init?(_ parts: InkComponents, keep indices: [Int], columns: Range<Int>? = nil) {
    guard !indices.isEmpty else { return nil }
    var keep = [Bool](repeating: false, count: parts.components.count + 1)
    for i in indices { keep[i + 1] = true }
    let cols = (columns ?? 0..<parts.width).clamped(to: 0..<parts.width)
    let cs = indices.map { parts.components[$0] }
    let x0 = max(cols.lowerBound, cs.map(\.minX).min()!), x1 = min(cols.upperBound - 1, cs.map(\.maxX).max()!)
    let y0 = cs.map(\.minY).min()!, y1 = cs.map(\.maxY).max()!
    guard x0 <= x1 else { return nil }
    var bx0 = Int.max, by0 = Int.max, bx1 = -1, by1 = -1, area = 0
    parts.labels.withUnsafeBufferPointer { labels in
      keep.withUnsafeBufferPointer { keep in
        for y in y0...y1 {
          let row = y * parts.width
          // Label 0 is never kept: chunks of background are skipped.
          for c0 in stride(from: x0, through: x1, by: 16) {
            let c1 = min(x1 + 1, c0 + 16)
            guard !ImageOps.allZero(labels.baseAddress! + row + c0, c1 - c0) else { continue }
            for x in c0..<c1 where keep[Int(labels[row + x])] {
              area += 1
              bx0 = min(bx0, x)
              bx1 = max(bx1, x)
              by0 = min(by0, y)
              by1 = max(by1, y)
            }
          }
        }
      }
    }
    guard area > 0 else { return nil }
    self.labels = parts.labels
    self.mapWidth = parts.width
    self.keep = keep
    self.columns = cols
    self.area = area
    minX = max(cols.lowerBound, bx0 - 1)
    maxX = min(cols.upperBound - 1, bx1 + 1)
    minY = max(0, by0 - 1)
    maxY = min(parts.height - 1, by1 + 1)
  }

  /// The region's ink, `width` x `height`, row-major.
  public func crop(_ map: InkMap) -> [Float] {
    precondition(map.width == mapWidth && map.ink.count == labels.count, "a region crops the map it was found in")
    var out = [Float](repeating: 0, count: width * height)
    let h = map.height, cropWidth = width
    map.ink.withUnsafeBufferPointer { ink in
      labels.withUnsafeBufferPointer { labels in
        keep.withUnsafeBufferPointer { keep in
          out.withUnsafeMutableBufferPointer { out in
            for y in minY...maxY {
              // Chunks without ink (v <= 0 throughout) are skipped after one test.
              for c0 in stride(from: minX, through: maxX, by: 16) {
                let c1 = min(maxX + 1, c0 + 16)
                guard ImageOps.anyAbove(ink.baseAddress! + y * mapWidth + c0, c1 - c0, 0) else { continue }
                for x in c0..<c1 {
                  let i = y * mapWidth + x
                  let v = ink[i]
                  if v <= 0 { continue }
                  var take = keep[Int(labels[i])]
                  if !take && labels[i] == 0 {
                    // Fringe: below the threshold but touching a kept pixel.
                    outer: for yy in max(0, y - 1)...min(h - 1, y + 1) {
                      for xx in max(columns.lowerBound, x - 1)...min(columns.upperBound - 1, x + 1)
                      where keep[Int(labels[yy * mapWidth + xx])] {
                        take = true
                        break outer
                      }
                    }
                  }
                  if take { out[(y - minY) * cropWidth + x - minX] = v }
                }
              }
            }
          }
        }
      }
    }
    return out
  }

  /// The crop box in the source picture's pixels.
  public func sourceBox(in map: InkMap) -> (x: Int, y: Int, width: Int, height: Int) {
    (map.origin.x + minX * map.shrink, map.origin.y + minY * map.shrink, width * map.shrink, height * map.shrink)
  }
}

extension InkRegion {
  /// Calls `body(x, y)` for every map pixel of the region's own components (no fringe).
  func forEachPixel(_ body: (Int, Int) -> Void) {
    for y in minY...maxY {
      for x in minX...maxX where keep[Int(labels[y * mapWidth + x])] { body(x, y) }
    }
  }
}
