// PCRE2 (8-bit code units) from Debian's libpcre2-dev: the regex engine of
// `logscan grep`, chosen by measurement (docs/GREP.md). The API is called
// through its _8-suffixed names, since the unsuffixed ones are macros.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
