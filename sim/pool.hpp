// Memory for the engine's many small, recycled objects: coroutine frames
// (sim/coro.hpp) and the model's per-process objects (Proc, Kthread).
//
// Blocks are kept on free lists by size, in 16-byte classes up to 2 KiB
// (larger ones go to malloc), and new ones are carved from 1 MiB chunks:
// no malloc header per block, no rounding to 64 bytes, and a run's end
// frees a few chunks instead of millions of blocks. Nothing is given back
// to the system during a run: its peak of live blocks stays reserved.
// With AddressSanitizer each block is its own malloc, so that a block
// lost or used after its free is still reported.
//
//   struct X { static void* operator new(std::size_t n) { return pool_alloc(n); }
//              static void operator delete(void* p, std::size_t n) noexcept { pool_free(p, n); } };
#pragma once
#include <cstddef>

namespace forksim {

#if defined(__SANITIZE_ADDRESS__)  // GCC's; clang's is __has_feature
#define FORKSIM_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FORKSIM_POOL_ASAN 1
#endif
#endif
// False with AddressSanitizer: every block is then its own malloc.
#ifdef FORKSIM_POOL_ASAN
inline constexpr bool kPoolCarves = false;
#else
inline constexpr bool kPoolCarves = true;
#endif

void* pool_alloc(std::size_t n);
void pool_free(void* p, std::size_t n) noexcept;

}  // namespace forksim
