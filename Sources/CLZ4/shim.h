// LZ4 block and frame APIs, from Debian's liblz4-dev.
#include <lz4.h>
#include <lz4frame.h>
