/// The agreement checks moved to DigitsChecks so `digits devices --check` can run them where
/// there is no Swift toolchain; the tests keep reaching them through this module.
@_exported import DigitsChecks
