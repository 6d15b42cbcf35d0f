// What every fuzz harness uses: a check that names the broken invariant, then traps.
#pragma once

#include <cstdio>

#define BURROW_FUZZ_CHECK(cond)                                                                   \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);     \
            __builtin_trap();                                                                     \
        }                                                                                         \
    } while (false)
