// libzip (Debian: libzip-dev), for Keras 3 `.keras` files. Not ZIPFoundation: its system
// module is also named `CZlib`, and clang refuses two module maps of one name in a target
// that sees this package's CZlib too.
#include <zip.h>
