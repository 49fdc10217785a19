#include "models/proctable.hpp"

#include <algorithm>
#include <stdexcept>

namespace forksim {

// maxpid is pidmax + 1: pids run from minpid to pidmax inclusive (param.c).
ProcTable::ProcTable(int v_proc, int pidmax)
    : v_proc_(v_proc), maxpid_(pidmax + 1), used_(static_cast<size_t>(pidmax) + 1, 0) {}

void ProcTable::reserve_boot_pids(int n) {
  for (int pid = 0; pid < n; ++pid) {
    used_[pid] = 1;
    ++slots_used_;
    ++live_pids_;
  }
  // illumos sets minpid after the four kernel processes (sched, init,
  // pageout, fsflush); later daemons take pids above it like anyone else.
  minpid_ = std::min(n, 4);
  mpid_ = n - 1;
}

int ProcTable::pid_allocate(int* probes) {
  *probes = 0;
  if (slots_used_ >= v_proc_) return -1;  // procentfree == NULL
  int start = mpid_;
  int newpid;
  // The seed's do-while: advance, wrap at maxpid, stop at a free pid or
  // after coming round to where we started.
  do {
    newpid = (++mpid_ == maxpid_) ? (mpid_ = minpid_) : mpid_;
    ++*probes;
  } while (used_[newpid] && newpid != start);
  if (newpid == start && used_[newpid]) return -1;
  used_[newpid] = 1;
  ++slots_used_;
  ++live_pids_;
  return newpid;
}

void ProcTable::pid_free(int pid) {
  if (!used_[pid]) throw std::logic_error("freeing a pid not in use");
  used_[pid] = 0;
  --slots_used_;
  --live_pids_;
}

void ProcTable::nproc_inc(int uid) {
  ++nproc_;
  nproc_max_ = std::max(nproc_max_, nproc_);
  upcount_inc(uid);
}

void ProcTable::nproc_dec(int uid) {
  --nproc_;
  upcount_dec(uid);
}

void ProcTable::upcount_inc(int uid) { ++upcount_[uid]; }

void ProcTable::upcount_dec(int uid) {
  auto it = upcount_.find(uid);
  if (it == upcount_.end() || it->second <= 0)
    throw std::logic_error("upcount below zero");
  if (--it->second == 0) upcount_.erase(it);
}

int ProcTable::upcount(int uid) const {
  auto it = upcount_.find(uid);
  return it == upcount_.end() ? 0 : it->second;
}

}  // namespace forksim
