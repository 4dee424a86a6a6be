// Puts default.safetensors (the digit model) and judge.safetensors (the number reader's
// judge of whole digits) into the binary. C23 #embed (clang 19+, Swift 6.1+ toolchains)
// costs nothing at compile time and is tracked as a dependency, so replacing the model
// rebuilds this file. SwiftPM's .embedInCode instead turns 900 KB into a Swift array
// literal that took over 8 minutes and 4 GB to type-check, in a debug build.
// Older clangs fall back to the assembler's .incbin, which the build system does not
// track: touch this file after replacing the model there.
#include "DefaultModelData.h"

#if defined(__has_embed)
#pragma clang diagnostic ignored "-Wc23-extensions"
static const unsigned char model[] = {
#embed "default.safetensors"
};

static const unsigned char judge[] = {
#embed "judge.safetensors"
};

const unsigned char *digits_default_model_bytes(void) { return model; }
size_t digits_default_model_size(void) { return sizeof model; }
const unsigned char *digits_judge_model_bytes(void) { return judge; }
size_t digits_judge_model_size(void) { return sizeof judge; }

#else
#if defined(__APPLE__)
#define DIGITS_RODATA ".const_data\n"
#define DIGITS_SYMBOL(name) "_" #name
#else
#define DIGITS_RODATA ".section .rodata\n"
#define DIGITS_SYMBOL(name) #name
#endif

// The assembler finds the file through the target's header search path "." (Package.swift).
__asm__(DIGITS_RODATA
        ".balign 16\n"
        DIGITS_SYMBOL(digits_default_model_start) ":\n"
        ".incbin \"default.safetensors\"\n"
        DIGITS_SYMBOL(digits_default_model_end) ":\n"
        ".balign 16\n"
        DIGITS_SYMBOL(digits_judge_model_start) ":\n"
        ".incbin \"judge.safetensors\"\n"
        DIGITS_SYMBOL(digits_judge_model_end) ":\n"
        ".byte 0\n"
        ".text\n");

extern const unsigned char digits_default_model_start[] __asm__(DIGITS_SYMBOL(digits_default_model_start));
extern const unsigned char digits_default_model_end[] __asm__(DIGITS_SYMBOL(digits_default_model_end));

const unsigned char *digits_default_model_bytes(void) { return digits_default_model_start; }
size_t digits_default_model_size(void) { return (size_t)(digits_default_model_end - digits_default_model_start); }

extern const unsigned char digits_judge_model_start[] __asm__(DIGITS_SYMBOL(digits_judge_model_start));
extern const unsigned char digits_judge_model_end[] __asm__(DIGITS_SYMBOL(digits_judge_model_end));

const unsigned char *digits_judge_model_bytes(void) { return digits_judge_model_start; }
size_t digits_judge_model_size(void) { return (size_t)(digits_judge_model_end - digits_judge_model_start); }
#endif
