#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
