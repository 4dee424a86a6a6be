// libwebp's decoder (Debian: libwebp-dev). The advanced API is wrapped here because its
// output buffer is a C union, awkward from Swift.
#include <webp/decode.h>

/// Decodes a still WebP into caller-owned memory: `channels` 3 (RGB) or 4 (RGBA) bytes a
/// pixel, rows `stride` bytes apart, `capacity` bytes in all. libwebp writes nothing beyond
/// it and allocates no output of its own. Returns libwebp's VP8StatusCode (0: decoded).
static inline int cwebp_decode_into(const uint8_t *data, size_t size, uint8_t *out, size_t capacity, int stride,
                                    int channels) {
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) return VP8_STATUS_INVALID_PARAM;
  config.output.colorspace = channels == 4 ? MODE_RGBA : MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = out;
  config.output.u.RGBA.stride = stride;
  config.output.u.RGBA.size = capacity;
  VP8StatusCode status = WebPDecode(data, size, &config);
  WebPFreeDecBuffer(&config.output);
  return (int)status;
}

/// The header's facts without decoding. Returns libwebp's VP8StatusCode (0: read).
static inline int cwebp_features(const uint8_t *data, size_t size, int *width, int *height, int *has_alpha,
                                 int *has_animation) {
  WebPBitstreamFeatures features;
  VP8StatusCode status = WebPGetFeatures(data, size, &features);
  if (status != VP8_STATUS_OK) return (int)status;
  *width = features.width;
  *height = features.height;
  *has_alpha = features.has_alpha;
  *has_animation = features.has_animation;
  return 0;
}
