public enum OpenCLBackendPlaceholder {}
