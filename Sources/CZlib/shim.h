// zlib's inflate (gzip streams) and crc32, from Debian's zlib1g-dev.
#include <zlib.h>
