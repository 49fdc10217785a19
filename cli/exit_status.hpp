// The exit statuses every forksim command gives (README "Exit status"):
// 0 done, 1 an internal error (or a failed run), 2 bad input or usage, 3
// a budget (--max-wall-s, --max-memory-mb) stopped the run, whose report is
// still written, marked incomplete; a signal stops it the same way and the
// status is 128 + its number (130 SIGINT, 143 SIGTERM), as a shell expects.
#pragma once

namespace forksim {

constexpr int kOk = 0, kInternal = 1, kBadInput = 2, kStopped = 3, kSignalBase = 128;

}  // namespace forksim
