#include "models/kernel.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

#include "sim/engine.hpp"
#include "sim/trace.hpp"

namespace forksim {

const char* path_name(ForkPath p) {
  switch (p) {
    case ForkPath::Fork1: return "fork1";
    case ForkPath::Forkall: return "forkall";
    case ForkPath::Vfork: return "vfork";
  }
  return "?";
}

ForkPath path_from_name(const std::string& s) {
  if (s == "fork1") return ForkPath::Fork1;
  if (s == "forkall") return ForkPath::Forkall;
  if (s == "vfork") return ForkPath::Vfork;
  throw std::invalid_argument("unknown fork path " + s);
}

const char* err_name(Err e) {
  switch (e) {
    case Err::Ok: return "OK";
    case Err::EAGAIN_: return "EAGAIN";
    case Err::ENOMEM_: return "ENOMEM";
    case Err::EINTR_: return "EINTR";
    case Err::EINVAL_: return "EINVAL";
  }
  return "?";
}

const char* reason_name(FailReason r) {
  switch (r) {
    case FailReason::None: return "none";
    case FailReason::OutOfProcs: return "out of processes";
    case FailReason::PerUser: return "per-user limit";
    case FailReason::SwapReservation: return "swap reservation";
    case FailReason::LwpLimit: return "lwp limit";
    case FailReason::Interrupted: return "interrupted";
    case FailReason::BadCall: return "bad call";
  }
  return "?";
}

Kernel::Kernel(const KernelConfig& s, Probes& probes)
    : cfg_(s), probes_(probes), costs_(s.costs, s.seed),
      backoff_rng_(stream_rng(s.seed, Stream::MutexBackoff, 0)),
      switch_fn_([this] { return costs_.ns(Step::ctxsw); }),
      mutex_costs_{[this] { return costs_.ns(Step::mutex_handoff); },
                   costs_.dist(Step::mutex_backoff_unit).mean(),
                   &backoff_rng_, costs_.dist(Step::mutex_sharer).mean()},
      disp_(s.machine.ncpus, probes, switch_fn_),
      plock_stats_(&probes.locks["p_lock"]),
      rcs_stats_(&probes.locks["rcs_lock"]),
      as_stats_(&probes.locks["as_lock"]),
      plock_class_{"p_lock", plock_stats_, &mutex_costs_},
      rcs_class_{"rcs_lock", rcs_stats_, &mutex_costs_},
      as_class_{"as_lock", as_stats_, &mutex_costs_},
      pidlock_("pidlock", probes.locks["pidlock"], mutex_costs_),
      pidlinklock_("pidlinklock", probes.locks["pidlinklock"], mutex_costs_),
      zone_nlwps_lock_("zone_nlwps_lock", probes.locks["zone_nlwps_lock"], mutex_costs_),
      ct_lock_("ct_lock", probes.locks["ct_lock"], mutex_costs_),
      table_(s.tunables.max_nprocs, s.tunables.pidmax),
      swap_(s.machine.swap_mb, s.machine.physmem_mb, s.tunables.swapfs_minfree_mb,
            s.tunables.swapfs_reserve_mb) {
  disp_.cpu_speed = s.machine.cpu_speed;
  disp_.hz = s.machine.hz;
  disp_.quantum_scale = s.machine.ts_quantum_scale;
  // param.c: v_maxupttl = v_proc - reserved_procs; v_maxup = min(maxuprc, v_maxupttl).
  v_maxupttl_ = s.tunables.max_nprocs - s.tunables.reserved_procs;
  v_maxup_ = std::min(s.tunables.maxuprc, v_maxupttl_);
  plock_stats_->instances = rcs_stats_->instances = as_stats_->instances = 0;
  for (const StepInfo& st : step_catalogue()) {  // the locks' callers, by LockSite
    if (lock_site(st.id) >= probes.lock_sites.size()) probes.lock_sites.resize(lock_site(st.id) + 1u);
    probes.lock_sites[lock_site(st.id)] = {st.name, st.lines};
  }
  // Boot-time processes (sched, init, daemons): root's, never exiting.
  table_.reserve_boot_pids(s.machine.system_procs);
  for (int i = 0; i < s.machine.system_procs; ++i) table_.nproc_inc(0);
  probes_.nproc_start = table_.nproc();
}

Kernel::~Kernel() = default;

Proc* Kernel::alloc_proc() {
  Proc* p;
  // A freed proc is reused only once its old thread is dead: a zombie's
  // thread may still be on its way out of exit when the parent reaps it.
  if (!free_procs_.empty() &&
      (!free_procs_.back()->thread ||
       free_procs_.back()->thread->state() == Kthread::State::Dead)) {
    p = free_procs_.back();
    free_procs_.pop_back();
    p->pid = -1;
    p->reserved_mb = 0;
    p->has_as = true;
    p->stat = Proc::Stat::Idl;
    p->flags = 0;
    p->nosigchld = false;
    p->running_children = 0;
    p->vfwaited = false;
    p->holder = nullptr;
    p->lwprcnt = 0;
    p->parent = p->child = p->sibling = p->psibling = nullptr;
    p->nchildren = 0;
    p->zombies.clear();
    p->role = 0;
    p->group = 0;
    p->cow = CowState{};
    p->others.reset();  // every other LWP exited before the process was freed
  } else {
    procs_.push_back(std::make_unique<Proc>(plock_class_, rcs_class_, as_class_));
    p = procs_.back().get();
    ++plock_stats_->instances;
    ++rcs_stats_->instances;
    ++as_stats_->instances;
  }
  return p;
}

void Kernel::free_proc(Proc* p) { free_procs_.push_back(p); }

// 1047-1059: the child goes at the head of its parent's child list.
void Kernel::link_child(Proc& pp, Proc& cp) {
  cp.parent = &pp;
  cp.sibling = pp.child;
  cp.psibling = nullptr;
  if (pp.child) pp.child->psibling = &cp;
  pp.child = &cp;
  ++pp.nchildren;
}

void Kernel::unlink_child(Proc& cp) {
  Proc* pp = cp.parent;
  if (!pp) return;
  if (pp->child == &cp) pp->child = cp.sibling;
  if (cp.sibling) cp.sibling->psibling = cp.psibling;
  if (cp.psibling) cp.psibling->sibling = cp.sibling;
  cp.sibling = cp.psibling = nullptr;
  cp.parent = nullptr;
  --pp->nchildren;
  // Reparented before its relvm: its parent's pages are its parent's own now.
  if (cp.cow.source == pp) {
    --pp->cow.sharers;
    cp.cow.source = nullptr;
  }
}

Kthread& Kernel::make_thread(Proc& p) {
  // A recycled Proc keeps its thread: its old code touches it no more.
  if (!p.thread) p.thread = std::make_unique<Kthread>(disp_, next_thread_id_++);
  if (Trace* tr = disp_.trace()) tr->named_thread(*p.thread, p.pid, 1, p.parent ? p.parent->pid : -1);
  return *p.thread;
}

Kthread& Kernel::make_lwp_thread(Proc& p) {
  auto& threads = p.other_lwps().threads;
  threads.push_back(std::make_unique<Kthread>(disp_, next_thread_id_++));
  if (Trace* tr = disp_.trace())
    tr->named_thread(*threads.back(), p.pid, 1 + static_cast<int>(threads.size()),
                     p.parent ? p.parent->pid : -1);
  threads.back()->inherit_class(*p.thread);
  return *threads.back();
}

Proc* Kernel::create_initial_proc(int uid, bool privileged, double reserved_mb,
                                  double resident_mb, int lwps, int open_files, bool rt) {
  int probes = 0;
  if (!swap_.reserve(reserved_mb, privileged)) return nullptr;
  int pid = table_.pid_allocate(&probes);
  if (pid < 0) {
    swap_.unreserve(reserved_mb);
    return nullptr;
  }
  Proc* p = alloc_proc();
  p->pid = pid;
  p->uid = uid;
  p->privileged = privileged || uid == 0;
  p->private_mb = reserved_mb;
  p->resident_mb = resident_mb;
  p->reserved_mb = reserved_mb;
  p->lwps = lwps;
  p->open_files = open_files;
  p->stat = Proc::Stat::Run;
  table_.nproc_inc(uid);
  zone_nlwps_ += lwps;
  ++live_procs_;
  probes_.reserved_mb = swap_.reserved_mb();
  probes_.reserved_max_mb = std::max(probes_.reserved_max_mb, probes_.reserved_mb);
  // ts_enterclass starts a TS thread at tsmedumdpri; RT at rt_pri 0.
  make_thread(*p).set_class(rt ? SchedClass::RT : SchedClass::TS, rt ? 0 : kTsMedUmdPri);
  return p;
}

Soon Kernel::own_enter(KMutex& m, Proc& p, Kthread& t, Step caller) {
  if (!is_private(p)) return m.enter(t, lock_site(caller));
  m.enter_private(t, lock_site(caller));
  return {};
}

Soon Kernel::own_exit(KMutex& m, Proc& p, Kthread& t) {
  if (!is_private(p)) return m.exit(t);
  m.exit_private(t);
  return {};
}

namespace {
Co<void> shared_section(Kernel& k, KMutex& m, Kthread& t, Step s) {
  co_await m.enter(t, lock_site(s));
  co_await k.charge(t, s);
  co_await m.exit(t);
}
}  // namespace

Soon Kernel::own_section(KMutex& m, Proc& p, Kthread& t, Step s) {
  if (!is_private(p)) return shared_section(*this, m, t, s);
  // Private means not step by step: the charge never waits.
  m.enter_private(t, lock_site(s));
  (void)charge(t, s);
  m.exit_private(t);
  return {};
}

int Kernel::locks_held() const {
  return pidlock_.held() + pidlinklock_.held() + zone_nlwps_lock_.held() + ct_lock_.held();
}

void Kernel::note_failure(ForkResult& r) {
  if (r.err == Err::ENOMEM_ && probes_.in_window(SimEngine::now())) ++probes_.enomem_failures;
}

std::vector<int> Kernel::live_by_group(size_t n) const {
  std::vector<int> live(n);
  std::unordered_set<const Proc*> freed(free_procs_.begin(), free_procs_.end());
  for (const auto& p : procs_)
    if (!freed.count(p.get()) && p->group < n) ++live[p->group];
  return live;
}

}  // namespace forksim
