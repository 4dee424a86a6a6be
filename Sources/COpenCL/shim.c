// Placeholder so the target has a source file; the OpenCL API is reached through dlopen.
