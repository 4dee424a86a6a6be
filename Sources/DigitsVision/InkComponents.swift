import DigitsCore

/// The 8-connected components of an ink map's pixels above a threshold, with their sizes
/// and bounding boxes: the pieces that speck removal and multi-digit reading reason about.
public struct InkComponents: Sendable {
  public struct Component: Sendable, Equatable {
    /// Pixels above the threshold.
    public var area: Int
    /// Sum of ink values.
    public var mass: Float
    /// Inclusive bounding box.
    public var minX: Int, minY: Int, maxX: Int, maxY: Int
    public var touchesBorder: Bool

    public var width: Int { maxX - minX + 1 }
    public var height: Int { maxY - minY + 1 }

    mutating func absorb(_ o: Component) {
      area += o.area
      mass += o.mass
      minX = min(minX, o.minX)
      minY = min(minY, o.minY)
      maxX = max(maxX, o.maxX)
      maxY = max(maxY, o.maxY)
      touchesBorder = touchesBorder || o.touchesBorder
    }
  }

  public let width: Int
  public let height: Int
  /// Per pixel: 0 for no component, else the index into `components` plus one.
  public let labels: [Int32]
  public let components: [Component]

  public init(_ map: InkMap, threshold: Float = 0.5) {
    let w = map.width, h = map.height
    var labels = [Int32](repeating: 0, count: w * h)
    // Provisional labels, then dense indices (1-based) in order of first appearance: a
    // set's root is its smallest label, so roots come in raster order of first appearance.
    let dense: (labels: [Int32], count: Int32) = labels.withUnsafeMutableBufferPointer { lab in
      map.ink.withUnsafeBufferPointer { ink in
        var sets = LabelSets()
        for y in 0..<h {
          let row = y * w, up = row - w
          // Chunks without ink (paper) are skipped after one vectorised test.
          for x0 in stride(from: 0, to: w, by: 16) {
            let x1 = min(w, x0 + 16)
            guard ImageOps.anyAbove(ink.baseAddress! + row + x0, x1 - x0, threshold) else { continue }
            for x in x0..<x1 where ink[row + x] > threshold {
              // Already visited neighbours: W, NW, N, NE. N touches the other three, so when
              // it is ink they are already in its set; otherwise W and NW touch each other
              // but not NE, which may join two sets.
              let n: Int32 = y > 0 ? lab[up + x] : 0
              var label: Int32
              if n != 0 {
                label = n
              } else {
                let ne: Int32 = y > 0 && x < w - 1 ? lab[up + x + 1] : 0
                let wl: Int32 = x > 0 ? lab[row + x - 1] : 0
                let nw: Int32 = y > 0 && x > 0 ? lab[up + x - 1] : 0
                let left = wl != 0 ? wl : nw
                if left != 0 {
                  label = ne != 0 ? sets.merge(left, ne) : left
                } else {
                  label = ne != 0 ? ne : sets.add()
                }
              }
              lab[row + x] = label
            }
          }
        }
        return sets.dense()
      }
    }
    let n = Int(dense.count)
    var stats = [Component](
      repeating: Component(
        area: 0, mass: 0, minX: Int.max, minY: Int.max, maxX: -1, maxY: -1,
        touchesBorder: false), count: n)
    map.ink.withUnsafeBufferPointer { ink in
      labels.withUnsafeMutableBufferPointer { lab in
        stats.withUnsafeMutableBufferPointer { s in
          dense.labels.withUnsafeBufferPointer { dense in
            for y in 0..<h {
              let row = y * w
              let edgeRow = y == 0 || y == h - 1
              for x0 in stride(from: 0, to: w, by: 16) {
                let x1 = min(w, x0 + 16)
                guard !ImageOps.allZero(UnsafePointer(lab.baseAddress! + row + x0), x1 - x0) else { continue }
                for x in x0..<x1 where lab[row + x] != 0 {
                  let i = row + x
                  let d = dense[Int(lab[i])]
                  lab[i] = d
                  let c = Int(d) - 1
                  s[c].area += 1
                  s[c].mass += ink[i]
                  if x < s[c].minX { s[c].minX = x }
                  if x > s[c].maxX { s[c].maxX = x }
                  if y < s[c].minY { s[c].minY = y }
                  s[c].maxY = y
                  if edgeRow || x == 0 || x == w - 1 { s[c].touchesBorder = true }
                }
              }
            }
          }
        }
      }
    }
    self.width = w
    self.height = h
    self.labels = labels
    self.components = stats
  }
}

/// Union-find over provisional component labels (0 is "none"; the root of a set is its
/// smallest label). A value type used only as a local variable, so its accesses are
/// checked statically (no runtime exclusivity checks in the pixel loop).
struct LabelSets {
  var parent: [Int32] = [0]

  init() { parent.reserveCapacity(256) }

  /// A new set of one label.
  mutating func add() -> Int32 {
    let label = Int32(parent.count)
    parent.append(label)
    return label
  }

  mutating func find(_ a: Int32) -> Int32 {
    var a = a
    while parent[Int(a)] != a {
      parent[Int(a)] = parent[Int(parent[Int(a)])]
      a = parent[Int(a)]
    }
    return a
  }

  /// Joins the sets of two labels (both non-zero); returns the root.
  mutating func merge(_ a: Int32, _ b: Int32) -> Int32 {
    let ra = find(a), rb = find(b)
    if ra == rb { return ra }
    if ra < rb {
      parent[Int(rb)] = ra
      return ra
    }
    parent[Int(ra)] = rb
    return rb
  }

  /// Per label, its set's index (1-based) in order of the sets' smallest labels; and the
  /// number of sets.
  mutating func dense() -> (labels: [Int32], count: Int32) {
    var dense = [Int32](repeating: 0, count: parent.count)
    var count: Int32 = 0
    for l in 1..<max(1, parent.count) {
      let root = find(Int32(l))
      if root == Int32(l) {
        count += 1
        dense[l] = count
      } else {
        dense[l] = dense[Int(root)]
      }
    }
    return (dense, count)
  }
}
