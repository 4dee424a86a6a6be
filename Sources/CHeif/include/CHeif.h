// libheif's calls that HEIFDecoder makes, through a library loaded with dlopen on the first
// HEIC/HEIF picture rather than linked. Linked, libheif brought libde265, x265, aom, dav1d
// and eight more libraries that every start of `digits` loaded and initialised (about 4.5 ms
// of each process); most runs never see a HEIC file. The header is libheif-dev's, for the
// types; libheif1 is needed only to read such a picture.
#ifndef CHEIF_H
#define CHEIF_H
#include <libheif/heif.h>
#include <stddef.h>
#include <stdint.h>

/// 1 once libheif.so.1 is loaded (for the process's life), 0 when it cannot be: then no
/// other dl_heif_ call may be made.
int dl_heif_available(void);

/// Same arguments as libheif's function of the name without `dl_`, less the trailing
/// options or reader arguments this program always passes as NULL.
struct heif_error dl_heif_init(void);
struct heif_context *dl_heif_context_alloc(void);
void dl_heif_context_free(struct heif_context *context);
void dl_heif_context_set_maximum_image_size_limit(struct heif_context *context, int side);
void dl_heif_context_set_max_decoding_threads(struct heif_context *context, int threads);
struct heif_error dl_heif_context_read_from_memory_without_copy(struct heif_context *context, const void *bytes,
                                                                size_t count);
struct heif_error dl_heif_context_get_primary_image_handle(struct heif_context *context,
                                                           struct heif_image_handle **handle);
void dl_heif_image_handle_release(const struct heif_image_handle *handle);
int dl_heif_image_handle_get_width(const struct heif_image_handle *handle);
int dl_heif_image_handle_get_height(const struct heif_image_handle *handle);
int dl_heif_image_handle_has_alpha_channel(const struct heif_image_handle *handle);
struct heif_error dl_heif_decode_image(const struct heif_image_handle *handle, struct heif_image **image,
                                       enum heif_colorspace space, enum heif_chroma chroma);
void dl_heif_image_release(const struct heif_image *image);
int dl_heif_image_get_width(const struct heif_image *image, enum heif_channel channel);
int dl_heif_image_get_height(const struct heif_image *image, enum heif_channel channel);
const uint8_t *dl_heif_image_get_plane_readonly(const struct heif_image *image, enum heif_channel channel,
                                                int *stride);
#endif
