#include "sim/trace.hpp"

#include <algorithm>

#include "sim/engine.hpp"
#include "sim/kmutex.hpp"

namespace forksim {

Trace::Thread& Trace::thread(const Kthread& t) {
  auto [it, added] = index_.try_emplace(&t, threads_.size());
  if (added) {
    Thread& th = threads_.emplace_back();
    th.lane.id.kind = TraceTrack::Kind::Kernel;
    th.lane.id.thread_id = t.id();
  }
  return threads_[it->second];
}

template <class F>
void Trace::each_lane(F f) {
  for (Lane& l : cpus_) f(l);
  for (Thread& th : threads_) f(th.lane);
}

bool Trace::live() {
  if (phase_ == Phase::Done) return false;
  // Every later time is past the window: none of it can be kept.
  if (SimEngine::now() > opt_.to_s) {
    if (phase_ == Phase::Before) open_window();
    close_window(opt_.to_s);
    return false;
  }
  return true;
}

double Trace::advance(Lane& l, double t) {
  t = std::max(t, l.last_s);
  l.last_s = t;
  if (phase_ == Phase::Before && t >= opt_.from_s) open_window();
  return t;
}

uint32_t Trace::track_of(Lane& l) {
  if (l.track < 0) {
    l.track = static_cast<int32_t>(tracks_.size());
    tracks_.push_back(l.id);
  }
  return static_cast<uint32_t>(l.track);
}

bool Trace::emit(Lane& l, char ph, const TraceSlice& s, double t, bool resumed, uint32_t aux,
                 uint64_t seq) {
  double ts = std::max({std::min(t, opt_.to_s), opt_.from_s, l.last_emit_s});
  l.last_emit_s = ts;
  TraceEvent e{ts, seq == UINT64_MAX ? seq_++ : seq, track_of(l), ph, resumed, s, aux};
  // A burst names the thread on the CPU by its track, made when it shows.
  if (s.kind == SliceKind::Burst && (ph == 'B' || ph == 'E'))
    e.slice.thread = track_of(threads_[s.thread].lane);
  events_.push_back(e);
  ++emitted_;
  return true;
}

bool Trace::begin(Lane& l, Open& o, double t, bool resumed) {
  if (!in_window(t)) {
    if (cut_ && phase_ == Phase::Open && t <= opt_.to_s) ++dropped_;
    return false;
  }
  if (!fits(2)) {  // the B and the E it will need
    cut(t);
    ++dropped_;
    return false;
  }
  emit(l, 'B', o.slice, t, resumed);
  o.emitted = true;
  ++open_;
  return true;
}

void Trace::end(Lane& l, Open& o, double t, bool resumed, const ForkOutcome* r) {
  if (!o.emitted) {
    if (cut_ && !o.cut_ended && phase_ == Phase::Open && t <= opt_.to_s) ++dropped_;
    return;
  }
  uint32_t aux = 0;
  // A lane behind the one that opened the window has times before it:
  // those are drawn at its start, but did not happen in it.
  bool inside = t >= opt_.from_s && t <= opt_.to_s;
  if (r && inside && !resumed) {
    forks_.push_back(*r);
    aux = static_cast<uint32_t>(forks_.size());
  }
  emit(l, 'E', o.slice, t, resumed || !inside, aux);
  o.emitted = false;
  --open_;
}

void Trace::push(Lane& l, TraceSlice s, const void* obj, double t) {
  t = advance(l, t);
  l.stack.push_back(Open{s, obj, false, false});
  begin(l, l.stack.back(), t, false);
}

void Trace::pop(Lane& l, SliceKind kind, const void* obj, double t, const ForkOutcome* r) {
  auto& st = l.stack;
  size_t i = st.size();
  while (i > 0 && !(st[i - 1].slice.kind == kind && st[i - 1].obj == obj)) --i;
  if (i == 0) return;  // none open: a thread given a CPU without being queued
  --i;
  t = advance(l, t);
  // Slices begun inside this one end with it and begin again.
  for (size_t j = st.size() - 1; j > i; --j) end(l, st[j], t, true);
  end(l, st[i], t, false, r);
  st.erase(st.begin() + static_cast<std::ptrdiff_t>(i));
  for (size_t j = i; j < st.size(); ++j) {
    st[j].cut_ended = false;
    begin(l, st[j], t, true);
  }
}

void Trace::pop_leaf(Lane& l, double t) {
  if (l.stack.empty()) return;
  SliceKind k = l.stack.back().slice.kind;
  if (k == SliceKind::Sleep || k == SliceKind::Turnstile || k == SliceKind::Runnable)
    pop(l, k, nullptr, t);
}

void Trace::open_window() {
  phase_ = Phase::Open;
  each_lane([this](Lane& l) {
    for (Open& o : l.stack) begin(l, o, opt_.from_s, true);
  });
}

void Trace::cut(double t) {
  cut_ = true;
  cut_s_ = t;
  each_lane([this, t](Lane& l) {
    for (auto o = l.stack.rbegin(); o != l.stack.rend(); ++o) {
      if (!o->emitted) continue;
      emit(l, 'E', o->slice, t, true);
      o->emitted = false;
      o->cut_ended = true;
      --open_;
    }
  });
}

void Trace::close_window(double at) {
  each_lane([this, at](Lane& l) {
    for (auto o = l.stack.rbegin(); o != l.stack.rend(); ++o) end(l, *o, at, true);
  });
  phase_ = Phase::Done;
}

void Trace::finish(double end_s) {
  if (phase_ == Phase::Before && end_s >= opt_.from_s) open_window();
  if (phase_ == Phase::Open) close_window(std::min(opt_.to_s, std::max(end_s, opt_.from_s)));
  phase_ = Phase::Done;
  std::sort(events_.begin(), events_.end(), [](const TraceEvent& a, const TraceEvent& b) {
    return a.ts_s < b.ts_s || (a.ts_s == b.ts_s && a.seq < b.seq);
  });
}

// ---- hooks ----------------------------------------------------------------

void Trace::named_thread(const Kthread& t, int pid, int lwp, int parent_pid) {
  if (!live()) return;
  Thread& th = thread(t);
  // A reused Kthread's old lifetime is over: whatever it left open ends.
  if (!th.lane.stack.empty()) {
    double at = advance(th.lane, t.clock());
    while (!th.lane.stack.empty()) {
      end(th.lane, th.lane.stack.back(), at, true);
      th.lane.stack.pop_back();
    }
  }
  uint64_t life;
  auto it = life_of_pid_.find(pid);
  if (lwp == 1 || it == life_of_pid_.end())
    life = life_of_pid_[pid] = ++lives_;
  else
    life = it->second;
  th.lane.id = TraceTrack{TraceTrack::Kind::Process, -1, pid, lwp, parent_pid, life, t.id()};
  th.lane.track = -1;
  th.lane.last_emit_s = 0;
  th.flow = false;
  th.sleep_why = nullptr;
}

void Trace::on_cpu(const Kthread& t) {
  if (!live()) return;
  Thread& th = thread(t);
  double now = SimEngine::now();
  pop(th.lane, SliceKind::Runnable, nullptr, now);
  size_t c = 0;
  while (c < cpus_.size() && !cpus_[c].stack.empty()) ++c;
  if (c == cpus_.size()) {
    Lane& cpu = cpus_.emplace_back();
    cpu.id.kind = TraceTrack::Kind::Cpu;
    cpu.id.cpu = static_cast<int>(c);
  }
  th.cpu = static_cast<int>(c);
  Lane& cpu = cpus_[c];
  push(cpu, TraceSlice{SliceKind::Burst, nullptr, 0, static_cast<uint32_t>(index_[&t])}, nullptr, now);
  if (!th.flow) return;
  th.flow = false;
  // Both ends or neither: the s only where its f, bound to this burst, is kept.
  if (!in_window(now) || !cpu.stack.back().emitted || !fits(2)) return;
  uint32_t id = ++flows_;
  events_.push_back(TraceEvent{th.flow_s, th.flow_seq, th.flow_from, 's', false, {}, id});
  ++emitted_;
  emit(cpu, 'f', TraceSlice{}, now, false, id);
}

void Trace::off_cpu(const Kthread& t, Kthread::State new_state) {
  if (!live()) return;
  Thread& th = thread(t);
  double now = SimEngine::now();
  if (th.cpu >= 0) {
    pop(cpus_[static_cast<size_t>(th.cpu)], SliceKind::Burst, nullptr, now);
    th.cpu = -1;
  }
  if (new_state == Kthread::State::Sleeping) {
    push(th.lane, TraceSlice{SliceKind::Sleep, th.sleep_why ? th.sleep_why : "sleep"}, nullptr, now);
    th.sleep_why = nullptr;
  } else if (new_state == Kthread::State::LockSleep) {
    push(th.lane, TraceSlice{SliceKind::Turnstile, "turnstile"}, nullptr, now);
  }
}

void Trace::woken(const Kthread& t) {
  if (!live()) return;
  pop_leaf(thread(t).lane, SimEngine::now());
}

void Trace::queued(const Kthread& t) {
  if (!live()) return;
  push(thread(t).lane, TraceSlice{SliceKind::Runnable, "runnable"}, nullptr, SimEngine::now());
}

void Trace::sleep_reason(const Kthread& t, const char* why) {
  if (!live()) return;
  thread(t).sleep_why = why;
}

void Trace::lock_wait(const Kthread& t, const KMutex& m) {
  if (!live()) return;
  push(thread(t).lane, TraceSlice{SliceKind::LockWait, m.name()}, &m, t.clock());
}

void Trace::lock_hold(const Kthread& t, const KMutex& m, uint16_t site, double at) {
  if (!live()) return;
  Lane& l = thread(t).lane;
  pop(l, SliceKind::LockWait, &m, at);
  push(l, TraceSlice{SliceKind::LockHold, m.name(), site}, &m, at);
}

void Trace::lock_release(const Kthread& t, const KMutex& m) {
  if (!live()) return;
  pop(thread(t).lane, SliceKind::LockHold, &m, t.clock());
}

void Trace::fork_entry(const Kthread& t, const char* path) {
  if (!live()) return;
  push(thread(t).lane, TraceSlice{SliceKind::Fork, path}, nullptr, t.clock());
}

void Trace::fork_return(const Kthread& t, const ForkOutcome& r) {
  if (!live()) return;
  pop(thread(t).lane, SliceKind::Fork, nullptr, t.clock(), &r);
}

void Trace::fork_child(const Kthread& parent, const Kthread& child) {
  if (!live()) return;
  Thread& p = thread(parent);
  Thread& c = thread(child);  // a deque: p stays valid
  double at = advance(p.lane, parent.clock());
  c.flow = false;
  if (!in_window(at) || p.lane.stack.empty() || !p.lane.stack.back().emitted) return;
  c.flow = true;
  c.flow_s = std::max({at, opt_.from_s, p.lane.last_emit_s});
  c.flow_seq = seq_++;
  c.flow_from = track_of(p.lane);
}

}  // namespace forksim
