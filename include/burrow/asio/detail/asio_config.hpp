// The Asio configuration burrow's library was built with, checked in every file that includes
// burrow's coroutine layer. Not part of the public API.
//
// Asio keeps a per-thread cache of recycled memory for coroutine frames and operations. burrow is
// built with a larger cache than Asio's default (lib/meson.build explains why: a message's read
// and write then allocate nothing), and the cache's size is part of the layout of Asio's
// per-thread state, so a file compiled with another size would silently disagree with the
// library. burrow's compile flags (pkg-config --cflags burrow, or the meson dependency) carry the
// setting; this check turns a missing flag into a clear error instead.
#pragma once

#if !defined(BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE) || BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE != 8
#error "burrow: compile every file that includes Asio with burrow's flags (pkg-config --cflags burrow, or the meson dependency burrow_dep): they define BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=8 and the TLS configuration the library was built with"
#endif
