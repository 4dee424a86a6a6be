#include "CHeif.h"

#include <dlfcn.h>
#include <pthread.h>

/// Every libheif function used, found once in libheif.so.1 (all are in libheif 1.x's ABI).
static struct {
  __typeof__(&heif_init) heif_init;
  __typeof__(&heif_context_alloc) heif_context_alloc;
  __typeof__(&heif_context_free) heif_context_free;
  __typeof__(&heif_context_set_maximum_image_size_limit) heif_context_set_maximum_image_size_limit;
  __typeof__(&heif_context_set_max_decoding_threads) heif_context_set_max_decoding_threads;
  __typeof__(&heif_context_read_from_memory_without_copy) heif_context_read_from_memory_without_copy;
  __typeof__(&heif_context_get_primary_image_handle) heif_context_get_primary_image_handle;
  __typeof__(&heif_image_handle_release) heif_image_handle_release;
  __typeof__(&heif_image_handle_get_width) heif_image_handle_get_width;
  __typeof__(&heif_image_handle_get_height) heif_image_handle_get_height;
  __typeof__(&heif_image_handle_has_alpha_channel) heif_image_handle_has_alpha_channel;
  __typeof__(&heif_decode_image) heif_decode_image;
  __typeof__(&heif_image_release) heif_image_release;
  __typeof__(&heif_image_get_width) heif_image_get_width;
  __typeof__(&heif_image_get_height) heif_image_get_height;
  __typeof__(&heif_image_get_plane_readonly) heif_image_get_plane_readonly;
} api;
/// 1 when `api` is complete, 0 when libheif.so.1 or one of its functions is missing.
static int loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
  void *library = dlopen("libheif.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) return;
#define LOAD(name) \
  if (!(api.name = (__typeof__(&name))dlsym(library, #name))) return
  LOAD(heif_init);
  LOAD(heif_context_alloc);
  LOAD(heif_context_free);
  LOAD(heif_context_set_maximum_image_size_limit);
  LOAD(heif_context_set_max_decoding_threads);
  LOAD(heif_context_read_from_memory_without_copy);
  LOAD(heif_context_get_primary_image_handle);
  LOAD(heif_image_handle_release);
  LOAD(heif_image_handle_get_width);
  LOAD(heif_image_handle_get_height);
  LOAD(heif_image_handle_has_alpha_channel);
  LOAD(heif_decode_image);
  LOAD(heif_image_release);
  LOAD(heif_image_get_width);
  LOAD(heif_image_get_height);
  LOAD(heif_image_get_plane_readonly);
#undef LOAD
  loaded = 1;
}

int dl_heif_available(void) {
  pthread_once(&once, load);
  return loaded;
}

struct heif_error dl_heif_init(void) { return api.heif_init(NULL); }
struct heif_context *dl_heif_context_alloc(void) { return api.heif_context_alloc(); }
void dl_heif_context_free(struct heif_context *context) { api.heif_context_free(context); }
void dl_heif_context_set_maximum_image_size_limit(struct heif_context *context, int side) {
  api.heif_context_set_maximum_image_size_limit(context, side);
}
void dl_heif_context_set_max_decoding_threads(struct heif_context *context, int threads) {
  api.heif_context_set_max_decoding_threads(context, threads);
}
struct heif_error dl_heif_context_read_from_memory_without_copy(struct heif_context *context, const void *bytes,
                                                                size_t count) {
  return api.heif_context_read_from_memory_without_copy(context, bytes, count, NULL);
}
struct heif_error dl_heif_context_get_primary_image_handle(struct heif_context *context,
                                                           struct heif_image_handle **handle) {
  return api.heif_context_get_primary_image_handle(context, handle);
}
void dl_heif_image_handle_release(const struct heif_image_handle *handle) {
  api.heif_image_handle_release(handle);
}
int dl_heif_image_handle_get_width(const struct heif_image_handle *handle) {
  return api.heif_image_handle_get_width(handle);
}
int dl_heif_image_handle_get_height(const struct heif_image_handle *handle) {
  return api.heif_image_handle_get_height(handle);
}
int dl_heif_image_handle_has_alpha_channel(const struct heif_image_handle *handle) {
  return api.heif_image_handle_has_alpha_channel(handle);
}
struct heif_error dl_heif_decode_image(const struct heif_image_handle *handle, struct heif_image **image,
                                       enum heif_colorspace space, enum heif_chroma chroma) {
  return api.heif_decode_image(handle, image, space, chroma, NULL);
}
void dl_heif_image_release(const struct heif_image *image) { api.heif_image_release(image); }
int dl_heif_image_get_width(const struct heif_image *image, enum heif_channel channel) {
  return api.heif_image_get_width(image, channel);
}
int dl_heif_image_get_height(const struct heif_image *image, enum heif_channel channel) {
  return api.heif_image_get_height(image, channel);
}
const uint8_t *dl_heif_image_get_plane_readonly(const struct heif_image *image, enum heif_channel channel,
                                                int *stride) {
  return api.heif_image_get_plane_readonly(image, channel, stride);
}
