import DigitsCore

/// The geometric half of `NumberReader`: components -> groups -> numbers -> atoms, and the
/// shape prior of a candidate digit made of a run of atoms.
struct Segmentation {
  struct Group {
    var members: [Int]
    var box: InkComponents.Component
    /// Too small to be a digit: a broken-off stroke, left for the reader to join to a neighbour.
    var isPiece = false
  }
  struct Atom {
    let group: Int
    /// Columns of the ink map this atom covers (a whole group, or a cut piece of one).
    let columns: Range<Int>
    /// Strokes crossed by the cut at this atom's left edge (0 at a group's left edge).
    var cutStrokes: Float = 0
  }

  let parts: InkComponents
  let groups: [Group]
  let atoms: [Atom]
  /// The atoms of each number in the picture: lines top to bottom, numbers in a line left
  /// to right. No candidate digit spans two of them.
  let numbers: [Range<Int>]
  /// Typical digit height (median of the groups').
  let digitHeight: Float

  init(parts: InkComponents, map: InkMap, minInk: Int, minFraction: Float) {
    self.parts = parts
    let all = parts.components
    let largest = all.map(\.area).max() ?? 0
    var pool = Array(all.indices)
    let interior = pool.filter { !all[$0].touchesBorder }
    if let bigInterior = interior.map({ all[$0].area }).max(), Float(bigInterior) >= 0.15 * Float(largest) {
      pool = interior
    }
    pool = pool.filter { all[$0].area >= max(2, largest / 100) }

    // Major pieces set the digit height; minor ones join the group they overlap or touch.
    let tall = pool.filter { all[$0].area * 5 >= largest }.map { all[$0].height }.sorted()
    let height = Float(tall.isEmpty ? 1 : tall[tall.count / 2])
    var majors = pool.filter { Float(all[$0].height) >= 0.45 * height }
    let minors = pool.filter { Float(all[$0].height) < 0.45 * height }
    majors.sort { all[$0].minX < all[$1].minX }

    var groups: [Group] = []
    for i in majors {
      let c = all[i]
      // Stacked pieces of one digit overlap in x but hardly in y, with little space
      // between them; neighbouring digits (even slanted ones whose boxes overlap) share
      // their rows, and digits in two lines have a line's spacing between them.
      if let g = groups.indices.last(where: {
        Self.xOverlap(groups[$0].box, c) >= 0.5 * Float(min(groups[$0].box.width, c.width))
          && Self.yOverlap(groups[$0].box, c) <= 0.5 * Float(min(groups[$0].box.height, c.height))
          && Self.gap(groups[$0].box, c) <= 0.5 * height
      }) {
        groups[g].members.append(i)
        groups[g].box.absorb(c)
      } else {
        groups.append(Group(members: [i], box: c))
      }
    }
    // Groups too small to be digits are pieces too.
    let minSide = max(6, Int(minFraction * Float(max(map.width, map.height))))
    var pieces = minors
    groups = groups.filter { g in
      let big = g.members.reduce(0) { $0 + all[$1].area } >= minInk && max(g.box.width, g.box.height) >= minSide
      if !big { pieces += g.members }
      return big
    }
    // A piece mostly inside the columns of a digit it touches or nearly touches joins it;
    // one between digits (a 7's bar next to a 6) stays on its own, and the reader joins it
    // to whichever side reads better; pieces far from every digit are specks.
    var loose: [Group] = []
    for i in pieces {
      let c = all[i]
      let near = groups.indices.filter { Self.gap(groups[$0].box, c) <= 0.75 * height }
      if let g = near.max(by: { Self.xOverlap(groups[$0].box, c) < Self.xOverlap(groups[$1].box, c) }),
        Self.xOverlap(groups[g].box, c) >= 0.8 * Float(c.width)
      {
        groups[g].members.append(i)
        groups[g].box.absorb(c)
      } else if groups.contains(where: { Self.xOverlap($0.box, c) > 0 || Self.gap($0.box, c) <= height / 3 }) {
        loose.append(Group(members: [i], box: c, isPiece: true))
      }
    }
    groups += loose
    groups.sort { $0.box.minX < $1.box.minX }
    // Digit height: the median of the groups that are not fragments.
    let tallest = groups.filter { !$0.isPiece }.map(\.box.height).max() ?? 0
    let heights = groups.filter { !$0.isPiece }.map(\.box.height).filter { Float($0) >= 0.6 * Float(tallest) }.sorted()
    digitHeight = heights.isEmpty ? height : Float(heights[heights.count / 2])
    let numbered = Self.numbers(groups, digitHeight: digitHeight)
    groups = numbered.flatMap { $0.map { groups[$0] } }
    self.groups = groups

    var atoms: [Atom] = []
    var numbers: [Range<Int>] = []
    var groupsBefore = 0
    for number in numbered {
      let firstAtom = atoms.count
      for g in groupsBefore..<(groupsBefore + number.count) {
        let group = groups[g]
        let cuts = group.isPiece ? [] : Self.cuts(group, parts: parts, digitHeight: digitHeight)
        var start = group.box.minX
        var strokes: Float = 0
        for (cut, crossed) in cuts + [(group.box.maxX + 1, 0)] {
          atoms.append(Atom(group: g, columns: start..<cut, cutStrokes: strokes))
          start = cut
          strokes = crossed
        }
      }
      groupsBefore += number.count
      numbers.append(firstAtom..<atoms.count)
    }
    self.atoms = atoms
    self.numbers = numbers
  }

  /// Space between two groups, in digit heights, past which they belong to two numbers.
  /// Digits of one number stand up to about half a digit height apart (the number test
  /// set's widest gaps: 12 px at MNIST's 20-px digit height, 0.55); a word space is wider.
  static let numberGap: Float = 1.2

  /// The groups (sorted by left edge) split into numbers, as indices: lines top to bottom
  /// (a group joins the line sharing at least half of its rows, or half a digit height, with
  /// it), and within a line, runs of groups less than `numberGap` digit heights apart, left
  /// to right. Fragments join the nearest number of the line they share most rows with:
  /// they never make a number of their own.
  static func numbers(_ groups: [Group], digitHeight h: Float) -> [[Int]] {
    var lines: [(minY: Int, maxY: Int, members: [Int])] = []
    func shared(_ line: (minY: Int, maxY: Int, members: [Int]), _ box: InkComponents.Component) -> Int {
      max(0, min(line.maxY, box.maxY) - max(line.minY, box.minY) + 1)
    }
    // Tallest first, so that whole digits found the lines and parts of digits join them.
    let digits = groups.indices.filter { !groups[$0].isPiece }.sorted { groups[$0].box.height > groups[$1].box.height }
    for i in digits {
      let box = groups[i].box
      let need = Int(0.5 * min(Float(box.height), h))
      if let l = lines.indices.max(by: { shared(lines[$0], box) < shared(lines[$1], box) }),
        shared(lines[l], box) >= need
      {
        lines[l].minY = min(lines[l].minY, box.minY)
        lines[l].maxY = max(lines[l].maxY, box.maxY)
        lines[l].members.append(i)
      } else {
        lines.append((box.minY, box.maxY, [i]))
      }
    }
    for i in groups.indices where groups[i].isPiece {
      let box = groups[i].box
      let centre = (box.minY + box.maxY) / 2
      let distance = { (line: (minY: Int, maxY: Int, members: [Int])) in
        shared(line, box) > 0 ? -shared(line, box) : min(abs(line.minY - centre), abs(line.maxY - centre))
      }
      if let l = lines.indices.min(by: { distance(lines[$0]) < distance(lines[$1]) }) {
        lines[l].members.append(i)
      } else {
        lines.append((box.minY, box.maxY, [i]))
      }
    }
    var numbers: [[Int]] = []
    for line in lines.sorted(by: { $0.minY < $1.minY }) {
      var inLine: [[Int]] = []
      var right = Int.min
      for i in line.members.sorted() where !groups[i].isPiece {
        let box = groups[i].box
        if right == Int.min || Float(box.minX - right - 1) > numberGap * h { inLine.append([]) }
        inLine[inLine.count - 1].append(i)
        right = max(right, box.maxX)
      }
      for i in line.members where groups[i].isPiece {
        let box = groups[i].box
        let span = { (number: [Int]) -> Int in
          let x0 = number.map { groups[$0].box.minX }.min()!, x1 = number.map { groups[$0].box.maxX }.max()!
          return max(0, x0 - box.maxX, box.minX - x1)
        }
        if let n = inLine.indices.min(by: { span(inLine[$0]) < span(inLine[$1]) }) {
          inLine[n].append(i)
          inLine[n].sort()
        } else {
          inLine.append([i])
        }
      }
      numbers += inLine
    }
    return numbers
  }

  /// The region of atoms `run` and its log-prior, or nil when it holds no ink.
  func candidate(_ run: ClosedRange<Int>) -> (InkRegion, Float)? {
    let slice = atoms[run]
    var members: [Int] = []
    var seen = Set<Int>()
    for a in slice where seen.insert(a.group).inserted { members += groups[a.group].members }
    // Groups of slanted digits overlap in x, so a later atom may end left of an earlier one.
    let columns = slice.map(\.columns.lowerBound).min()!..<slice.map(\.columns.upperBound).max()!
    guard let region = InkRegion(parts, keep: members, columns: columns) else { return nil }
    let h = digitHeight
    // Each digit costs a little, so pieces that read well together stay one digit.
    var prior: Float = -0.3
    // Cutting through strokes is the exception (touching digits): half the cost of each
    // cut at either end, more for more strokes crossed.
    if run.lowerBound > 0 && atoms[run.lowerBound - 1].group == slice.first!.group {
      prior -= Self.cutCost * (1 + slice.first!.cutStrokes)
    }
    if run.upperBound + 1 < atoms.count && atoms[run.upperBound + 1].group == slice.last!.group {
      prior -= Self.cutCost * (1 + atoms[run.upperBound + 1].cutStrokes)
    }
    // Fragments: much shorter than the digits around them.
    let tallness = Float(region.height - 2) / h
    if tallness < 0.55 { prior -= 4 * (0.55 - tallness) / 0.55 }
    // Two digits side by side: wider than a digit usually is.
    let wideness = Float(region.width - 2) / max(Float(region.height - 2), h)
    if wideness > Self.wideFrom { prior -= 3 * (wideness - Self.wideFrom) }
    // Pieces with clear space between them are separate digits.
    for (a, b) in zip(slice, slice.dropFirst()) where a.group != b.group {
      let gap = Float(max(0, groups[b.group].box.minX - groups[a.group].box.maxX - 1)) / h
      if gap > 0.05 { prior -= 6 * (gap - 0.05) + 0.5 }
    }
    return (region, prior)
  }

  /// The priors' constants, tuned on numbers composed from MNIST *training* digits
  /// (Benchmarks/Numbers/make-numbers.py --split train --seed 77), never on the test set:
  /// at wideness 1.0 (the old start of the penalty) and cuts only in groups 1.2 digit
  /// heights wide, pairs of touching digits read as one (a `13` as `3`) were most of the
  /// errors; cheaper cuts and an earlier wideness penalty took touching numbers read
  /// exactly from 19.5% to 39.9% with apart ones unchanged (82.3%, 82.7%).
  /// Groups wider than this many digit heights may be cut.
  static let cutFrom: Float = 0.8
  /// Cost of a cut at a candidate's edge, per stroke it crosses plus one.
  static let cutCost: Float = 0.15
  /// Width over height past which a candidate looks like two digits.
  static let wideFrom: Float = 0.75

  static func xOverlap(_ a: InkComponents.Component, _ b: InkComponents.Component) -> Float {
    Float(max(0, min(a.maxX, b.maxX) - max(a.minX, b.minX) + 1))
  }

  static func yOverlap(_ a: InkComponents.Component, _ b: InkComponents.Component) -> Float {
    Float(max(0, min(a.maxY, b.maxY) - max(a.minY, b.minY) + 1))
  }

  static func gap(_ a: InkComponents.Component, _ b: InkComponents.Component) -> Float {
    let dx = max(0, max(a.minX - b.maxX, b.minX - a.maxX))
    let dy = max(0, max(a.minY - b.maxY, b.minY - a.maxY))
    return Float(max(dx, dy))
  }

  /// Cut columns inside a group wider than a digit: local minima of its column ink
  /// profile, at least a fifth of a digit height from each other and from the edges; with
  /// each, the number of strokes it crosses (ink in the column over the stroke width).
  static func cuts(_ group: Group, parts: InkComponents, digitHeight h: Float) -> [(Int, Float)] {
    let box = group.box
    guard Float(box.width) > Self.cutFrom * max(h, Float(box.height)) else { return [] }
    var keep = [Bool](repeating: false, count: parts.components.count + 1)
    for m in group.members { keep[m + 1] = true }
    var profile = [Float](repeating: 0, count: box.width)
    for y in box.minY...box.maxY {
      for x in box.minX...box.maxX where keep[Int(parts.labels[y * parts.width + x])] { profile[x - box.minX] += 1 }
    }
    /// Runs of ink down column x: the strokes a cut there crosses.
    func strokes(_ x: Int) -> Float {
      var runs = 0, inside = false
      for y in box.minY...box.maxY {
        let now = keep[Int(parts.labels[y * parts.width + x])]
        if now && !inside { runs += 1 }
        inside = now
      }
      return Float(runs)
    }
    // Light smoothing so one-pixel dips do not count.
    let smooth = profile.indices.map { i in
      (profile[max(0, i - 1)] + 2 * profile[i] + profile[min(profile.count - 1, i + 1)]) / 4
    }
    let margin = max(2, Int(0.2 * h))
    guard box.width > 2 * margin else { return [] }
    var minima: [(Int, Float)] = []
    for i in margin..<(box.width - margin) {
      let v = smooth[i]
      let left = smooth[max(0, i - 1)], right = smooth[min(smooth.count - 1, i + 1)]
      if v <= left && v <= right { minima.append((i, v)) }
    }
    // Deepest first; keep those far enough apart; at most about three per digit width.
    let limit = max(1, Int(Float(box.width) / (0.3 * h)))
    var chosen: [Int] = []
    for (i, _) in minima.sorted(by: { $0.1 < $1.1 }) where chosen.allSatisfy({ abs($0 - i) >= margin }) {
      chosen.append(i)
      if chosen.count >= limit { break }
    }
    return chosen.sorted().map { ($0 + box.minX, strokes($0 + box.minX)) }
  }
}
