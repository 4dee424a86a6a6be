/// The largest |a[i] - b[i]|: NaN when any difference is NaN, infinity when the counts
/// differ. `Sequence.max()` skips a NaN anywhere but first, so a bound checked with it passes
/// on NaN results; a bound checked with this one (`worst <= tolerance`) fails.
public func largestDifference<A: Collection, B: Collection>(_ a: A, _ b: B) -> Float
where A.Element == Float, B.Element == Float {
  guard a.count == b.count else { return .infinity }
  var worst: Float = 0
  for (x, y) in zip(a, b) {
    let difference = abs(x - y)
    if difference.isNaN { return .nan }
    worst = max(worst, difference)
  }
  return worst
}

/// The largest value, NaN when any is NaN (where `Sequence.max()` and `max(_:_:)` skip it),
/// 0 when there are none: for bounds checked as `worst <= tolerance`.
public func largestValue<S: Sequence>(_ values: S) -> Float where S.Element == Float {
  var worst: Float = 0
  for value in values {
    if value.isNaN { return .nan }
    worst = max(worst, value)
  }
  return worst
}
