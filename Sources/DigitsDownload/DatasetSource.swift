import DigitsCore
import Foundation

/// Where a data set's four files can be fetched from and what they must hash to.
/// The SHA-256 sums are of the uncompressed IDX files, so a mirror may serve them gzipped
/// (the usual case) or raw.
public struct DatasetSource: Sendable, Equatable {
  public struct File: Sendable, Equatable {
    /// The IDX file name without `.gz`, one of `DatasetFolder.fileStems`.
    public var stem: String
    /// Lower-case hex SHA-256 of the uncompressed file.
    public var sha256: String

    public init(stem: String, sha256: String) {
      self.stem = stem
      self.sha256 = sha256
    }
  }

  public var kind: DatasetKind
  public var files: [File]
  /// Base URLs, tried in turn; each file is fetched from `mirror + stem + ".gz"`.
  public var mirrors: [URL]

  public init(kind: DatasetKind, files: [File], mirrors: [URL]) {
    self.kind = kind
    self.files = files
    self.mirrors = mirrors
  }

  /// The built-in sums and mirrors of `kind`.
  public static func builtIn(_ kind: DatasetKind) -> DatasetSource {
    DatasetSource(kind: kind, files: builtInFiles(kind), mirrors: defaultMirrors(kind).map { URL(string: $0)! })
  }

  /// Environment variable with mirrors that replace the built-in list (tests point it at a
  /// local server): URLs separated by commas or white space.
  public static let mirrorsVariable = "DIGITS_MIRRORS"

  /// `--mirror` values if any, else `$DIGITS_MIRRORS`, else the built-in list. Each URL
  /// must be http or https; a missing trailing slash is added.
  public static func mirrors(
    options: [String], kind: DatasetKind,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> [URL] {
    try mirrors(options: options, defaults: defaultMirrors(kind), environment: environment)
  }

  /// `--mirror` values if any, else `$DIGITS_MIRRORS`, else `defaults`.
  public static func mirrors(
    options: [String], defaults: [String],
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> [URL] {
    var texts = options
    var origin = "--mirror"
    if texts.isEmpty, let env = environment[mirrorsVariable] {
      texts = env.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
      origin = "$\(mirrorsVariable)"
    }
    if texts.isEmpty { return defaults.map { URL(string: $0)! } }
    return try texts.map { text in
      let withSlash = text.hasSuffix("/") ? text : text + "/"
      guard let url = URL(string: withSlash), let scheme = url.scheme?.lowercased(),
        scheme == "http" || scheme == "https", url.host != nil
      else { throw DigitsError("\(origin) \(text): not an http or https URL") }
      return url
    }
  }

  public static func defaultMirrors(_ kind: DatasetKind) -> [String] {
    switch kind {
    case .mnist:
      return [
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
      ]
    case .fashion:
      return [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
      ]
    }
  }

  /// Sums of the uncompressed files: MNIST from the original distribution, Fashion-MNIST
  /// from Debian's dataset-fashion-mnist (the files Zalando publishes).
  static func builtInFiles(_ kind: DatasetKind) -> [File] {
    let sums: [String]
    switch kind {
    case .mnist:
      sums = [
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
      ]
    case .fashion:
      sums = [
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
      ]
    }
    return zip(DatasetFolder.fileStems, sums).map { File(stem: $0, sha256: $1) }
  }
}
