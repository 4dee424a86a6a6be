#ifndef DIGITS_DEFAULT_MODEL_DATA_H
#define DIGITS_DEFAULT_MODEL_DATA_H
#include <stddef.h>

/// The bytes of default.safetensors, linked into the binary by DefaultModelData.c.
const unsigned char *digits_default_model_bytes(void);
size_t digits_default_model_size(void);
/// The bytes of judge.safetensors (the number reader's judge of whole digits).
const unsigned char *digits_judge_model_bytes(void);
size_t digits_judge_model_size(void);

#endif
