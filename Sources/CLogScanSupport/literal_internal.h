// Literal-search helpers shared by literal_search.c and checksum_probe.c.
#ifndef LOGSCAN_LITERAL_INTERNAL_H
#define LOGSCAN_LITERAL_INTERNAL_H

#include "logscan_support.h"

/// 1 when the literal's bytes are at `at` (ASCII case folded when caseless).
/// The caller guarantees `literal->length` readable bytes.
int logscan_literal_matches_at(const logscan_literal *literal, const uint8_t *at);

/// The other ASCII case of a letter; any other byte unchanged.
int logscan_ascii_other_case(int c);

#endif
