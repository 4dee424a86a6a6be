// libdeflate (Debian: libdeflate-dev), found through pkg-config "libdeflate": whole-buffer
// DEFLATE/gzip decoding, about three times zlib's speed on the MNIST files.
#include <libdeflate.h>
