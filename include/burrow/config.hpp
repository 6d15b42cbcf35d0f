// Build-wide settings of burrow. Included by every public header.
#pragma once

#include <boost/config.hpp>

#define BURROW_VERSION_MAJOR 0
#define BURROW_VERSION_MINOR 1
#define BURROW_VERSION_PATCH 0

// Marks functions of the hot path that must be inlined even at -O1.
#if defined(__GNUC__) || defined(__clang__)
#define BURROW_ALWAYS_INLINE inline __attribute__((always_inline))
#define BURROW_LIKELY(x) __builtin_expect(!!(x), 1)
#define BURROW_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define BURROW_ALWAYS_INLINE inline
#define BURROW_LIKELY(x) (x)
#define BURROW_UNLIKELY(x) (x)
#endif
