// libheif (Debian: libheif-dev; HEVC through libde265), headers found through pkg-config
// "libheif".
#include <libheif/heif.h>
