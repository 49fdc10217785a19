// The process table's bookkeeping, as pid.c keeps it: /proc directory slots
// (v.v_proc of them), the pid hash searched by pid_allocate, nproc, and the
// per-uid counts (upcount). Pure data, no time: the model charges the time
// and takes the locks around these calls.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace forksim {

class ProcTable {
 public:
  ProcTable(int v_proc, int pidmax);

  // pid.c pid_allocate: takes a /proc slot and the next free pid above the
  // last one, wrapping at pidmax. -1 when no slot or no pid is free.
  // `probes` returns how many candidate pids were looked up in the hash.
  int pid_allocate(int* probes);
  // Gives back the pid and the slot (proc_entry_free + pid_rele).
  void pid_free(int pid);
  // Marks the pids below the first allocatable one as taken (boot-time
  // processes) and sets minpid above them, as pid_setmin() does after boot.
  void reserve_boot_pids(int n);

  void nproc_inc(int uid);
  void nproc_dec(int uid);
  void nproc_dec_only() { --nproc_; }  // pid_exit of a failed child: upcount already back
  void upcount_dec(int uid);
  void upcount_inc(int uid);

  int nproc() const { return nproc_; }
  int nproc_max() const { return nproc_max_; }
  int slots_used() const { return slots_used_; }
  int v_proc() const { return v_proc_; }
  int upcount(int uid) const;
  const std::unordered_map<int, int>& upcounts() const { return upcount_; }
  bool pid_in_use(int pid) const { return used_[pid] != 0; }
  int live_pids() const { return live_pids_; }

 private:
  int v_proc_, maxpid_, minpid_ = 0, mpid_ = 0;
  int slots_used_ = 0, live_pids_ = 0;
  int nproc_ = 0, nproc_max_ = 0;
  std::vector<uint8_t> used_;  // by pid
  std::unordered_map<int, int> upcount_;
};

}  // namespace forksim
