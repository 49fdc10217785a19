// Random streams per purpose: common random numbers across runs.
//
// Every random draw of a run comes from a stream of its own purpose, never
// shared with another: changing a machine parameter, a cost, or any other
// purpose's draws then leaves a stream's sequence as it was (an open
// workload's arrivals are the same at 8 and at 16 CPUs), so the points of a
// sweep differ by what was changed, not by reshuffled randomness.
//
// The rule: stream (purpose p, index i) of the run seed s is the generator
// seeded with
//   mix(mix(mix(s) ^ p) ^ i)
// where mix(x) is SplitMix64's output function of x + 0x9e3779b97f4a7c15.
// i is the workload group for workload purposes (a single workload is group
// 0; a composite machine's group i is i; a level of a tree of child
// programs within it, for the Program purposes) and the Step for cost
// draws. Purpose numbers are fixed forever: a new purpose takes a new
// number, so that old streams keep their sequences. A retry policy without
// jitter draws nothing.
#pragma once
#include <cstdint>

#include "sim/dist.hpp"

namespace forksim {

enum class Stream : uint64_t {
  Arrivals = 1,       // an open group's interarrival gaps
  Think = 2,          // a closed group's think times
  ChildLifetime = 3,  // a group's children's off-CPU lifetimes
  ChildCpu = 4,       // a group's children's user CPU work
  StepCost = 5,       // one step's cost draws (index: the Step)
  MutexBackoff = 6,   // default_lock_delay's randomized spins, every mutex
  RetryJitter = 7,    // a fork bomb group's retry delays' jitter factors
  ServiceTime = 8,    // a service group's requests' CPU work
  ForkEvery = 9,      // a service group's gaps between its main LWP's forks
  VictimCpu = 10,      // an interactive group's CPU work per wake-up
  // A child program's children (child.forks), by level: index
  // group * 16 + level (2..kMaxChildDepth; level 1 is ChildLifetime/ChildCpu's).
  ProgramLifetime = 11,
  ProgramCpu = 12,
};

// SplitMix64 (Steele, Lea and Flood, 2014): each output a bijective mix of
// its input, so distinct inputs give distinct, unrelated outputs.
constexpr uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr uint64_t stream_seed(uint64_t seed, Stream purpose, uint64_t index) {
  return splitmix64(splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(purpose)) ^ index);
}

inline Rng stream_rng(uint64_t seed, Stream purpose, uint64_t index) {
  return Rng(stream_seed(seed, purpose, index));
}

}  // namespace forksim
