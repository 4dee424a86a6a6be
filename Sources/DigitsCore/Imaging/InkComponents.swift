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
    // Union-find over provisional labels (0 is "none"); a set's root is its smallest label,
    // so roots come in raster order of first appearance.
    var parent: [Int32] = [0]
    parent.reserveCapacity(256)

    func find(_ a: Int32) -> Int32 {
      var a = a
      while parent[Int(a)] != a {
        parent[Int(a)] = parent[Int(parent[Int(a)])]
        a = parent[Int(a)]
      }
      return a
    }
    func merge(_ a: Int32, _ b: Int32) -> Int32 {
      if b == 0 { return a }
      let rb = find(b)
      if a == 0 { return rb }
      let ra = find(a)
      if ra == rb { return ra }
      if ra < rb {
        parent[Int(rb)] = ra
        return ra
      }
      parent[Int(ra)] = rb
      return rb
    }

    map.ink.withUnsafeBufferPointer { ink in
      for y in 0..<h {
        let row = y * w, up = row - w
        for x in 0..<w where ink[row + x] > threshold {
          // Already visited neighbours: W, NW, N, NE.
          var label: Int32 = 0
          if x > 0 { label = merge(label, labels[row + x - 1]) }
          if y > 0 {
            if x > 0 { label = merge(label, labels[up + x - 1]) }
            label = merge(label, labels[up + x])
            if x < w - 1 { label = merge(label, labels[up + x + 1]) }
          }
          if label == 0 {
            label = Int32(parent.count)
            parent.append(label)
          }
          labels[row + x] = label
        }
      }
    }

    // Dense indices (1-based) in order of first appearance.
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
    let n = Int(count)
    var area = [Int](repeating: 0, count: n), mass = [Float](repeating: 0, count: n)
    var minX = [Int](repeating: Int.max, count: n), maxX = [Int](repeating: -1, count: n)
    var minY = [Int](repeating: Int.max, count: n), maxY = [Int](repeating: -1, count: n)
    var border = [Bool](repeating: false, count: n)
    map.ink.withUnsafeBufferPointer { ink in
      labels.withUnsafeMutableBufferPointer { lab in
        for y in 0..<h {
          for x in 0..<w {
            let i = y * w + x
            if lab[i] == 0 { continue }
            let d = dense[Int(lab[i])]
            lab[i] = d
            let c = Int(d) - 1
            area[c] += 1
            mass[c] += ink[i]
            if x < minX[c] { minX[c] = x }
            if x > maxX[c] { maxX[c] = x }
            if y < minY[c] { minY[c] = y }
            maxY[c] = y
            if x == 0 || y == 0 || x == w - 1 || y == h - 1 { border[c] = true }
          }
        }
      }
    }
    self.width = w
    self.height = h
    self.labels = labels
    self.components = (0..<n).map {
      Component(area: area[$0], mass: mass[$0], minX: minX[$0], minY: minY[$0], maxX: maxX[$0], maxY: maxY[$0],
                touchesBorder: border[$0])
    }
  }
}
