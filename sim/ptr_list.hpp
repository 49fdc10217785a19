// A vector of pointers in one pointer's room: the lists every process and
// lock keeps (a mutex's waiters, a condition variable's sleepers, the LWPs
// a hold looks at, the locks a thread holds) are empty or hold one item
// nearly always, and a million processes each paid 24 bytes per
// std::vector. One item is kept in the list itself; more go to a block from
// sim/pool.hpp, which is given back once the list is empty again (a thread
// that held two locks at once would otherwise keep a block for good).
// Iterators are plain pointers, so <algorithm> works; like a vector's,
// they are invalidated by push_back and by an erase that empties the list.
// Items must not be null.
//
//   PtrList<Kthread*> w;  w.push_back(&t);  w.erase(std::find(w.begin(), w.end(), &t));
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "sim/pool.hpp"

namespace forksim {

template <class T>
class PtrList {
  static_assert(std::is_pointer_v<T>, "PtrList holds pointers");

 public:
  PtrList() = default;
  PtrList(const PtrList&) = delete;
  PtrList& operator=(const PtrList&) = delete;
  PtrList(PtrList&& o) noexcept : v_(std::exchange(o.v_, nullptr)) {}
  ~PtrList() { clear(); }

  T* begin() { return block() ? items() : v_ ? &v_ : nullptr; }
  T* end() { return block() ? items() + header()->size : v_ ? &v_ + 1 : nullptr; }
  const T* begin() const { return const_cast<PtrList*>(this)->begin(); }
  const T* end() const { return const_cast<PtrList*>(this)->end(); }
  bool empty() const { return !v_; }  // a block is never left empty
  std::size_t size() const { return block() ? header()->size : v_ ? 1 : 0; }
  T& operator[](std::size_t i) { return begin()[i]; }
  T& front() { return *begin(); }

  void push_back(T x) {
    static_assert(alignof(std::remove_pointer_t<T>) >= 2, "the low bit tells a block from an item");
    if (!v_) {
      v_ = x;
      return;
    }
    if (!block()) {
      T only = v_;
      v_ = nullptr;
      grow(4);
      items()[header()->size++] = only;
    } else if (header()->size == header()->cap) {
      grow(2 * header()->cap);
    }
    items()[header()->size++] = x;
  }
  // Removes *it, keeping the order; returns the position after it.
  T* erase(T* it) {
    if (!block() || header()->size == 1) {
      clear();
      return nullptr;  // end() of the empty list
    }
    std::memmove(it, it + 1, static_cast<std::size_t>(end() - it - 1) * sizeof(T));
    --header()->size;
    return it;
  }
  void clear() {
    if (block()) pool_free(header(), bytes(header()->cap));
    v_ = nullptr;
  }
  // Shrinks to the first n.
  void resize(std::size_t n) {
    if (n == 0) clear();
    else if (block() && n < header()->size) header()->size = static_cast<uint32_t>(n);
  }
  void swap(PtrList& o) noexcept { std::swap(v_, o.v_); }

 private:
  // A block's items follow its header.
  struct Header {
    uint32_t size, cap;
  };
  static_assert(sizeof(Header) % alignof(T) == 0);
  static std::size_t bytes(uint32_t cap) { return sizeof(Header) + cap * sizeof(T); }
  bool block() const { return reinterpret_cast<uintptr_t>(v_) & 1; }
  Header* header() const {
    return reinterpret_cast<Header*>(reinterpret_cast<uintptr_t>(v_) & ~uintptr_t{1});
  }
  T* items() const { return reinterpret_cast<T*>(header() + 1); }
  // To a block of `cap` with the items so far (none when v_ is empty).
  void grow(uint32_t cap) {
    auto* h = static_cast<Header*>(pool_alloc(bytes(cap)));
    h->size = 0;
    if (block()) {
      h->size = header()->size;
      std::memcpy(h + 1, items(), h->size * sizeof(T));
      pool_free(header(), bytes(header()->cap));
    }
    h->cap = cap;
    v_ = reinterpret_cast<T>(reinterpret_cast<uintptr_t>(h) | 1);
  }
  T v_ = nullptr;  // empty, the one item, or a block's address with the low bit set
};

}  // namespace forksim
