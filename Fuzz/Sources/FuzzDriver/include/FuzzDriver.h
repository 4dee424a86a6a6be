// libFuzzer's entry point for programs that have their own main (libclang_rt.fuzzer, linked
// by -sanitize=fuzzer). SwiftPM gives every Linux executable a `<Module>_main` entry, so each
// fuzz target calls this from there instead of using libFuzzer's main.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
