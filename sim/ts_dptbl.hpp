// illumos's default dispatch tables and priority constants, as data.
//
// The TS rows are config_ts_dptbl[] of usr/src/uts/common/disp/ts_dptbl.c
// (illumos-gate, unchanged since 2004; read at illumos-joyent a63fed2a and
// illumos-gate 13904da8): ts_getdptbl() returns it unless
// ts_dispatch_extended is set, which it is not by default. RT quanta are
// config_rt_dptbl[] of usr/src/uts/common/disp/rt_dptbl.c. Quanta are in
// clock ticks, so seconds depend on hz (200 ms to 20 ms at hz = 100; 20 ms
// to 2 ms at hz = 1000, illumos's default since hires_tick = 1 in 2020).
#pragma once
#include <array>

namespace forksim {

struct TsDpEnt {
  int quantum;  // ts_quantum: clock ticks of CPU before ts_tick lowers the thread
  int tqexp;    // ts_tqexp: new ts_cpupri when the quantum expires
  int slpret;   // ts_slpret: new ts_cpupri at sleep/wakeup once dispwait > maxwait
  int maxwait;  // ts_maxwait: ts_update passes (seconds) a thread may go unreset
  int lwait;    // ts_lwait: new ts_cpupri ts_update gives one that waited longer
};

// Indexed by ts_cpupri (= ts_umdpri = global priority, TSGPUP0 = 0).
extern const std::array<TsDpEnt, 60> kTsDptbl;
// RT quantum in ticks, indexed by rt_pri (global priority 100 + rt_pri).
extern const std::array<int, 60> kRtQuantum;

constexpr int kTsMaxUmdPri = 59;   // ts_maxumdpri
constexpr int kTsMedUmdPri = 29;   // tsmedumdpri (ts.c): where ts_enterclass starts a thread
constexpr int kMinClSysPri = 60;   // minclsyspri: SYS threads' default (thread_create's callers)
constexpr int kMaxClSysPri = 99;   // maxclsyspri
constexpr int kRtGlobPri0 = 100;   // RTGPPRIO0: global priority of RT level 0
constexpr int kNumPri = 160;       // global priorities 0..159
// disp.c dispinit(): kpreemptpri = v.v_maxsyspri, so only threads at 99 and
// above (maxclsyspri, RT) preempt kernel-mode code; upreemptpri = 0, so any
// higher-priority thread preempts user-mode code.
constexpr int kKpreemptPri = kMaxClSysPri;
constexpr int kUpreemptPri = 0;

}  // namespace forksim
