// stb_image compiled here with coverage and AddressSanitizer, so the fuzzer sees into the
// decoder and catches its memory errors. These definitions take the place of libstb.so's
// (an executable's own symbols win over a shared library's), for every caller in DigitsCore.
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
