// Kernel variants: the parts of the illumos code a study may swap for a
// control arm. The default is exactly the illumos code; each variant
// changes one thing and is named in `explain` and in the report. The model
// owns these types; the scenario format fills them (its `kernel` section).
#pragma once
#include <cmath>
#include <string>

#include "models/steps.hpp"

namespace forksim {

// getproc's backoff after a failure (fork.c 1182-1196).
struct ForkBackoff {
  enum class Kind {
    Illumos,     // delay(fork_fail_pending / ncpus + 1) ticks
    None,        // fail at once, no count, no delay (as Linux does)
    Ticks,       // delay(ticks): fixed, whatever is pending
    PerPending,  // delay(fork_fail_pending / (per_pending * ncpus) + 1)
  };
  Kind kind = Kind::Illumos;
  long ticks = 1;           // Ticks
  double per_pending = 1;   // PerPending: k; 1 is the illumos formula

  bool operator==(const ForkBackoff&) const = default;
};

struct KernelVariant {
  ForkBackoff fork_backoff;
  bool operator==(const KernelVariant&) const = default;
};

// Clock ticks a failing fork sleeps with `pending` failures in the backoff
// (its own included) on `ncpus` CPUs; 0 for None, which does not back off.
inline long backoff_ticks(const ForkBackoff& b, int pending, int ncpus) {
  switch (b.kind) {
    case ForkBackoff::Kind::Illumos: return pending / ncpus + 1;
    case ForkBackoff::Kind::None: return 0;
    case ForkBackoff::Kind::Ticks: return b.ticks;
    case ForkBackoff::Kind::PerPending:
      return static_cast<long>(std::floor(pending / (b.per_pending * ncpus))) + 1;
  }
  return pending / ncpus + 1;
}

inline const char* backoff_kind_name(ForkBackoff::Kind k) {
  switch (k) {
    case ForkBackoff::Kind::Illumos: return "illumos";
    case ForkBackoff::Kind::None: return "none";
    case ForkBackoff::Kind::Ticks: return "ticks";
    case ForkBackoff::Kind::PerPending: return "per_pending";
  }
  return "illumos";
}

// The variant in a few words, for `explain`: "illumos", "none",
// "ticks 5", "per_pending 2".
inline std::string backoff_label(const ForkBackoff& b) {
  auto num = [](double x) {
    std::string s = std::to_string(x);
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
    return s;
  };
  switch (b.kind) {
    case ForkBackoff::Kind::Ticks: return "ticks " + std::to_string(b.ticks);
    case ForkBackoff::Kind::PerPending: return "per_pending " + num(b.per_pending);
    default: return backoff_kind_name(b.kind);
  }
}

// A step's seed lines as `explain` shows them: the backoff's steps say
// which variant runs them ("1193 (fork_backoff: illumos)"), and that "none"
// does not.
inline std::string step_lines(const StepInfo& st, const KernelVariant& k) {
  if (st.id != Step::backoff_enter && st.id != Step::backoff_delay && st.id != Step::backoff_exit)
    return st.lines;
  const ForkBackoff& b = k.fork_backoff;
  return std::string(st.lines) + " (fork_backoff: " + backoff_label(b) +
         (b.kind == ForkBackoff::Kind::None ? ", not run)" : ")");
}

}  // namespace forksim
