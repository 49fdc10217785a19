// A vector of pointers in one pointer's room: the lists every process and
// lock keeps (a mutex's waiters, a condition variable's sleepers, the LWPs
// a hold looks at, the locks a thread holds) are empty nearly always, and
// a million processes each paid 24 bytes per std::vector. The storage, made
// on the first push_back, keeps its capacity until the list is destroyed
// or swapped away. Iterators are plain pointers, so <algorithm> works.
//
//   PtrList<Kthread*> w;  w.push_back(&t);  w.erase(std::find(w.begin(), w.end(), &t));
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace forksim {

template <class T>
class PtrList {
  static_assert(std::is_pointer_v<T>, "PtrList holds pointers");

 public:
  PtrList() = default;
  PtrList(const PtrList&) = delete;
  PtrList& operator=(const PtrList&) = delete;
  PtrList(PtrList&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  ~PtrList() { std::free(h_); }

  T* begin() { return h_ ? items() : nullptr; }
  T* end() { return h_ ? items() + h_->size : nullptr; }
  const T* begin() const { return h_ ? items() : nullptr; }
  const T* end() const { return h_ ? items() + h_->size : nullptr; }
  bool empty() const { return !h_ || h_->size == 0; }
  std::size_t size() const { return h_ ? h_->size : 0; }
  T& operator[](std::size_t i) { return items()[i]; }
  T& front() { return items()[0]; }

  void push_back(T x) {
    if (!h_ || h_->size == h_->cap) grow();
    items()[h_->size++] = x;
  }
  // Removes *it, keeping the order; returns the position after it.
  T* erase(T* it) {
    std::memmove(it, it + 1, static_cast<std::size_t>(end() - it - 1) * sizeof(T));
    --h_->size;
    return it;
  }
  void clear() {
    if (h_) h_->size = 0;
  }
  // Shrinks to the first n.
  void resize(std::size_t n) {
    if (h_ && n < h_->size) h_->size = static_cast<uint32_t>(n);
  }
  void swap(PtrList& o) noexcept { std::swap(h_, o.h_); }

 private:
  // The items follow the header in one block.
  struct Header {
    uint32_t size, cap;
  };
  static_assert(sizeof(Header) % alignof(T) == 0);
  T* items() const { return reinterpret_cast<T*>(h_ + 1); }
  void grow() {
    uint32_t cap = h_ ? 2 * h_->cap : 4;
    std::size_t bytes = sizeof(Header) + cap * sizeof(T);
    auto* h = static_cast<Header*>(std::realloc(h_, bytes));
    if (!h) throw std::bad_alloc();
    if (!h_) h->size = 0;
    h->cap = cap;
    h_ = h;
  }
  Header* h_ = nullptr;
};

}  // namespace forksim
