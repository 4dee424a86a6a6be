public enum CPUBackendPlaceholder {}
