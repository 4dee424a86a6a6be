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
      minX = min(minX, o.minX); minY = min(minY, o.minY)
      maxX = max(maxX, o.maxX); maxY = max(maxY, o.maxY)
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
    var parent: [Int32] = [0]  // union-find over provisional labels; 0 is "none"

    func find(_ a: Int32) -> Int32 {
      var a = a
      while parent[Int(a)] != a {
        parent[Int(a)] = parent[Int(parent[Int(a)])]
        a = parent[Int(a)]
      }
      return a
    }
    func union(_ a: Int32, _ b: Int32) -> Int32 {
      let ra = find(a), rb = find(b)
      if ra == rb { return ra }
      if ra < rb { parent[Int(rb)] = ra; return ra }
      parent[Int(ra)] = rb
      return rb
    }

    map.ink.withUnsafeBufferPointer { ink in
      for y in 0..<h {
        for x in 0..<w where ink[y * w + x] > threshold {
          var label: Int32 = 0
          func visit(_ l: Int32) {
            if l != 0 { label = label == 0 ? find(l) : union(label, l) }
          }
          // Already visited neighbours: W, NW, N, NE.
          if x > 0 { visit(labels[y * w + x - 1]) }
          if y > 0 {
            if x > 0 { visit(labels[(y - 1) * w + x - 1]) }
            visit(labels[(y - 1) * w + x])
            if x < w - 1 { visit(labels[(y - 1) * w + x + 1]) }
          }
          if label == 0 {
            label = Int32(parent.count)
            parent.append(label)
          }
          labels[y * w + x] = label
        }
      }
    }

    // Resolve to dense component indices and gather statistics.
    var dense = [Int32](repeating: 0, count: parent.count)
    var components: [Component] = []
    map.ink.withUnsafeBufferPointer { ink in
      for y in 0..<h {
        for x in 0..<w {
          let i = y * w + x
          let l = labels[i]
          if l == 0 { continue }
          let root = Int(find(l))
          if dense[root] == 0 {
            components.append(Component(area: 0, mass: 0, minX: x, minY: y, maxX: x, maxY: y, touchesBorder: false))
            dense[root] = Int32(components.count)
          }
          let c = Int(dense[root])
          labels[i] = Int32(c)
          components[c - 1].area += 1
          components[c - 1].mass += ink[i]
          components[c - 1].minX = min(components[c - 1].minX, x)
          components[c - 1].maxX = max(components[c - 1].maxX, x)
          components[c - 1].maxY = y
          if x == 0 || y == 0 || x == w - 1 || y == h - 1 { components[c - 1].touchesBorder = true }
        }
      }
    }
    self.width = w
    self.height = h
    self.labels = labels
    self.components = components
  }
}
