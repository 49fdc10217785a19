#include "cli/interrupt.hpp"

#include <cstring>
#include <utility>
#include <stdexcept>
#include <unistd.h>

namespace forksim {
namespace {

volatile std::sig_atomic_t caught = 0;
// What the handler may touch: a fixed buffer and a flag saying it holds a
// complete path (set after the copy, cleared before any change).
char temporary[4096];
volatile std::sig_atomic_t temporary_set = 0;
bool guard_active = false;

void on_signal(int sig) {
  if (!caught) {
    caught = sig;
    return;
  }
  // Only async-signal-safe calls from here on.
  if (temporary_set) unlink(temporary);
  signal(sig, SIG_DFL);
  // Pending until this handler returns, then the default action: the
  // process dies of the signal, as the user asked twice.
  raise(sig);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  if (guard_active) throw std::logic_error("one InterruptGuard at a time");
  guard_active = true;
  caught = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  // Block the other one while handling one, so the first signal is recorded
  // whole before a second is seen.
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGTERM);
  sa.sa_flags = SA_RESTART;  // the report's write() is not cut short
  for (auto [sig, old] : {std::pair{SIGINT, &old_int_}, std::pair{SIGTERM, &old_term_}}) {
    sigaction(sig, nullptr, old);
    // Ignored by whoever started us (a shell's `forksim run &`): it stays so.
    if (old->sa_handler != SIG_IGN) sigaction(sig, &sa, nullptr);
  }
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  guard_active = false;
}

InterruptsCutWaits::InterruptsCutWaits() {
  for (auto [sig, old] : {std::pair{SIGINT, &old_int_}, std::pair{SIGTERM, &old_term_}}) {
    sigaction(sig, nullptr, old);
    if (old->sa_handler == SIG_IGN || old->sa_handler == SIG_DFL) continue;
    struct sigaction sa = *old;
    sa.sa_flags &= ~SA_RESTART;
    sigaction(sig, &sa, nullptr);
  }
}

InterruptsCutWaits::~InterruptsCutWaits() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

int interrupt_signal() { return caught; }

std::string interrupt_reason(int sig) {
  return std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal");
}

void register_temporary(const std::string& path) {
  if (path.size() >= sizeof temporary)
    throw std::length_error("temporary path too long: " + path.substr(0, 200) + "...");
  temporary_set = 0;
  std::memcpy(temporary, path.c_str(), path.size() + 1);
  temporary_set = 1;
}

void unregister_temporary() { temporary_set = 0; }

}  // namespace forksim
