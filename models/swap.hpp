// Swap reservation without overcommit (vm_anon.c anon_resv, docs/model.md):
// every private writable page is backed by a reservation taken at fork
// (segvn_dup), from disk swap first, then from RAM. RAM gives at most
// physmem - swapfs_minfree, and an unprivileged caller must also leave
// swapfs_reserve of it untouched. Process memory that is not reserved
// (kernel, page cache, text) is not modelled: this is an upper bound on
// what can be reserved.
#pragma once

namespace forksim {

class SwapSpace {
 public:
  SwapSpace(double swap_mb, double physmem_mb, double minfree_mb, double reserve_mb);

  // anon_resv: all or nothing. Returns false if `mb` does not fit.
  bool reserve(double mb, bool privileged);
  void unreserve(double mb);

  double reserved_mb() const { return disk_used_ + ram_used_; }
  double capacity_mb(bool privileged) const;

 private:
  double disk_, ram_, reserve_;
  double disk_used_ = 0, ram_used_ = 0;
};

}  // namespace forksim
