// SHA-256's compression function on the x86 SHA extensions (SHA-NI), which AMD has had since
// Zen and Intel since Ice Lake / Goldmont: about ten times the plain Swift rounds, which took
// 4 ms of every start of `evaluate` or `predict` checking the model file's checksum.
#ifndef CSHA256_H
#define CSHA256_H
#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SHA extensions (and SSE4.1), so `csha256_compress` may be called.
int csha256_available(void);

/// FIPS 180-4's 64 round constants (the plain Swift rounds use them too).
const uint32_t *csha256_round_constants(void);

/// Runs `blocks` 64-byte blocks at `data` through the compression function, updating the
/// eight words of `state` (a, b, ..., h) as FIPS 180-4 does.
void csha256_compress(uint32_t state[8], const uint8_t *data, size_t blocks);
#endif
