// Copy-on-write after fork, without an event per page. segvn_dup (vm/seg_vn.c
// 1460-, at the seed's revision) write-protects every resident private page
// of the parent (hat_clrattr PROT_WRITE, 1669) and the child maps the same
// anon pages; the first write to one afterwards traps into segvn_fault ->
// segvn_faultpage. While another process still holds the anon slot
// (an_refcnt > 1) it is a copy (anon_private, 3009); once the slot is the
// writer's alone, anon_getpage (vm/vm_anon.c 1836) hands it back writable and
// nothing is copied.
//
// A process writes its resident pages in one sequential sweep, so after a
// fork the protected pages not yet written are simply the next ones of the
// sweep: a count, charged in chunks as the process writes.
#include <algorithm>
#include <cmath>

#include "models/kernel.hpp"
#include "sim/engine.hpp"

namespace forksim {

namespace {
// Held below 2^53, where a double still counts whole pages: a size beyond
// that (1e16 pages, 40 ZB) makes its fork's cost overflow first anyway.
uint64_t pages_of(double mb) {
  double pages = std::round(mb * kPagesPerMb);
  return pages < 9e15 ? static_cast<uint64_t>(pages) : 9'000'000'000'000'000ull;
}
}  // namespace

// At as_dup's end, after its per-page work: both processes' resident pages
// are protected; the child maps the parent's until its relvm. A protection
// still pending from an earlier fork ends here: every page is protected anew.
void Kernel::protect_after_dup(Proc& p, Proc& cp, ForkPath path, double now) {
  end_slowed(p, now);
  uint64_t n = pages_of(p.resident_mb);
  cow_protected_ += (n - p.cow.protected_pages) + n;  // the parent's anew, the child's
  p.cow.protected_pages = n;
  p.cow.path = static_cast<uint8_t>(path);
  p.cow.since_s = now;
  p.cow.faults_since = 0;
  cp.cow = CowState{};
  cp.cow.protected_pages = n;
  cp.cow.path = static_cast<uint8_t>(path);
  cp.cow.since_s = now;
  cp.cow.source = &p;
  ++p.cow.sharers;
}

// relvm or as_free: the pages, and their protection, are gone.
void Kernel::release_cow(Proc& p, double now) {
  end_slowed(p, now);
  cow_dropped_ += p.cow.protected_pages;
  p.cow.protected_pages = 0;
  if (p.cow.source) {
    --p.cow.source->cow.sharers;
    p.cow.source = nullptr;
  }
}

PathStats& Kernel::stats_of(const Proc& p, ForkPath path) {
  return path_stats ? path_stats(p, path) : probes_.paths[path_name(path)];
}

// The interval after a fork in which p took faults closes.
void Kernel::end_slowed(Proc& p, double now) {
  if (p.cow.faults_since > 0 && probes_.in_window(now))
    stats_of(p, static_cast<ForkPath>(p.cow.path)).write_faults.slowed_s.record(now - p.cow.since_s);
  p.cow.faults_since = 0;
}

Co<void> Kernel::write_pages(Proc& p, Kthread& t, double pages) {
  CowState& c = p.cow;
  if (!(pages > 0)) co_return;
  // The protection and the sharers change under other threads (p's other
  // LWPs, its children's relvm): read at this thread's own clock, after the
  // dispatch's switch it may still owe.
  co_await t.flush();
  if (c.protected_pages == 0) co_return;
  double want = pages + c.write_carry;
  uint64_t n = c.protected_pages;  // a write of them all, or more (an infinite rate too)
  if (want < static_cast<double>(n)) {
    double whole = std::floor(want);
    n = static_cast<uint64_t>(whole);
    c.write_carry = want - whole;
  } else {
    c.write_carry = 0;
  }
  if (n == 0) co_return;
  c.protected_pages -= n;
  // One sharer for every page: exact while one child at a time maps them
  // (docs/model.md, simplifications).
  bool copy = c.sharers > 0;
  double ns = costs_.ns(copy ? Step::cow_fault_copy : Step::cow_fault_nocopy,
                        static_cast<double>(n));
  // Counted before the flush: another LWP's fork during it starts a new
  // protection, and these faults belong to the one before.
  const auto path = static_cast<ForkPath>(c.path);
  cow_faulted_ += n;
  c.faults_since += n;
  co_await t.charge(ns);
  co_await t.flush();
  double now = SimEngine::now();
  if (probes_.in_window(now)) {
    FaultStats& f = stats_of(p, path).write_faults;
    f.faults += n;
    if (copy) f.copies += n;
    f.cpu_s += ns * 1e-9 / disp_.cpu_speed;
  }
  if (c.protected_pages == 0) end_slowed(p, now);
}

}  // namespace forksim
