#include "models/swap.hpp"

#include <algorithm>
#include <stdexcept>

namespace forksim {

// Reservations are compared in whole 4 KiB pages: sums of fractional
// megabytes must not fail a reservation by a rounding error.
static double pages(double mb) { return mb * 256.0; }

SwapSpace::SwapSpace(double swap_mb, double physmem_mb, double minfree_mb, double reserve_mb)
    : disk_(swap_mb), ram_(std::max(0.0, physmem_mb - minfree_mb)), reserve_(reserve_mb) {}

double SwapSpace::capacity_mb(bool privileged) const {
  return disk_ + std::max(0.0, ram_ - (privileged ? 0 : reserve_));
}

bool SwapSpace::reserve(double mb, bool privileged) {
  if (mb <= 0) return true;
  double disk_free = disk_ - disk_used_;
  double from_disk = std::min(mb, disk_free);
  double from_ram = mb - from_disk;
  double ram_limit = ram_ - (privileged ? 0 : reserve_);
  if (from_ram > 0 && pages(ram_used_ + from_ram) > pages(ram_limit) + 1e-6) return false;
  disk_used_ += from_disk;
  ram_used_ += from_ram;
  return true;
}

void SwapSpace::unreserve(double mb) {
  if (mb <= 0) return;
  // Give back RAM first: it is what the next caller short of swap needs.
  double to_ram = std::min(mb, ram_used_);
  ram_used_ -= to_ram;
  disk_used_ -= mb - to_ram;
  if (disk_used_ < -1e-6) throw std::logic_error("swap unreserved more than reserved");
  if (disk_used_ < 0) disk_used_ = 0;
}

}  // namespace forksim
