#include "sim/pool.hpp"

#include <cstdlib>
#include <new>

namespace forksim {
namespace {
constexpr std::size_t kClass = 16, kClasses = 128;  // blocks up to 2 KiB
constexpr std::size_t kChunk = std::size_t{1} << 20;


struct FreeBlock {
  FreeBlock* next;
};
struct Chunk {
  Chunk* next;
};
// The lists run through the free blocks themselves, so freeing never
// allocates. Carved chunks are never freed: they stay reachable from here
// to the process's end, and a block freed by another static's destructor
// after this one's still lands in live memory. Without carving (ASan) the
// lists are emptied at exit, so that LeakSanitizer sees every block
// given back.
struct Pool {
  FreeBlock* lists[kClasses] = {};
  Chunk* chunks = nullptr;  // every chunk, newest first
  char* next = nullptr;     // the newest chunk's uncarved part
  char* end = nullptr;
  ~Pool() {
    if (kPoolCarves) return;
    for (FreeBlock*& head : lists)
      while (FreeBlock* f = head) {
        head = f->next;
        std::free(f);
      }
  }
  void* carve(std::size_t size) {
    if (static_cast<std::size_t>(end - next) < size) {
      void* m = std::malloc(kChunk);
      if (!m) throw std::bad_alloc();
      auto* c = static_cast<Chunk*>(m);
      c->next = chunks;
      chunks = c;
      // The chunk's header takes a block's alignment's worth of room.
      next = static_cast<char*>(m) + alignof(std::max_align_t);
      end = static_cast<char*>(m) + kChunk;
    }
    void* p = next;
    next += size;
    return p;
  }
};
Pool pool;
}  // namespace

void* pool_alloc(std::size_t n) {
  std::size_t c = (n + kClass - 1) / kClass;
  if (c < kClasses) {
    if (FreeBlock* f = pool.lists[c]) {
      pool.lists[c] = f->next;
      return f;
    }
    if (kPoolCarves) return pool.carve(c * kClass);
  }
  void* p = std::malloc(c < kClasses ? c * kClass : n);
  if (!p) throw std::bad_alloc();
  return p;
}

void pool_free(void* p, std::size_t n) noexcept {
  std::size_t c = (n + kClass - 1) / kClass;
  if (c < kClasses) {
    // A block freed after Pool's destructor (by another static's) is kept
    // on the list, still reachable.
    auto* f = static_cast<FreeBlock*>(p);
    f->next = pool.lists[c];
    pool.lists[c] = f;
    return;
  }
  std::free(p);
}

}  // namespace forksim
