// Links default.safetensors into the binary with the assembler's .incbin: no compile-time
// cost (SwiftPM's .embedInCode turns 900 KB into a Swift array literal that took over
// 8 minutes and 4 GB to type-check). The assembler finds the file through the target's
// header search path "." (Package.swift).
// NOTE: the build system does not see this dependency: after replacing default.safetensors,
// touch this file (or clean) so it is assembled again.
#include "DefaultModelData.h"

#if defined(__APPLE__)
#define DIGITS_RODATA ".const_data\n"
#define DIGITS_SYMBOL(name) "_" #name
#else
#define DIGITS_RODATA ".section .rodata\n"
#define DIGITS_SYMBOL(name) #name
#endif

__asm__(DIGITS_RODATA
        ".balign 16\n"
        DIGITS_SYMBOL(digits_default_model_start) ":\n"
        ".incbin \"default.safetensors\"\n"
        DIGITS_SYMBOL(digits_default_model_end) ":\n"
        ".byte 0\n"
        ".text\n");

extern const unsigned char digits_default_model_start[] __asm__(DIGITS_SYMBOL(digits_default_model_start));
extern const unsigned char digits_default_model_end[] __asm__(DIGITS_SYMBOL(digits_default_model_end));

const unsigned char *digits_default_model_bytes(void) { return digits_default_model_start; }
size_t digits_default_model_size(void) { return (size_t)(digits_default_model_end - digits_default_model_start); }
