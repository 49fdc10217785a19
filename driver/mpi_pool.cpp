#include "driver/mpi_pool.hpp"

#include <mpi.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <stdexcept>

using nlohmann::json;

namespace forksim {
namespace {

enum Tag : int { kTagRun = 1, kTagSignal = 2, kTagStop = 3, kTagHeartbeat = 4, kTagDone = 5 };

// How long a poll sleeps between looks. Every run waits for two looks (rank
// 0 seeing it done, its worker seeing the next order), half a sleep each on
// average, while its core idles: at 2 ms that was about 2 ms a run, most of
// the MPI sweep's overhead beyond the local one (10 of ~30 ms a point of 5
// short runs). At 0.25 ms an idle rank's looks (MPI_Iprobe over shared
// memory, a few microseconds) still cost it about 1% of a core.
constexpr long kPollNs = 250'000;
// wait_one(interruptible) returns at least this often, as ChildPool's does.
constexpr double kInterruptibleS = 0.1;

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int n = 0;
  MPI_Error_string(rc, text, &n);
  throw std::runtime_error(std::string(what) + ": " + std::string(text, static_cast<std::size_t>(n)));
}

// A message from `source` (MPI_ANY_SOURCE) if one has come: its source,
// tag and text.
struct Message {
  int source = 0, tag = 0;
  std::string text;
};
std::optional<Message> receive(int source) {
  int flag = 0;
  MPI_Status st;
  check(MPI_Iprobe(source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st), "MPI_Iprobe");
  if (!flag) return std::nullopt;
  int n = 0;
  MPI_Get_count(&st, MPI_BYTE, &n);
  Message m{st.MPI_SOURCE, st.MPI_TAG, std::string(static_cast<std::size_t>(n), '\0')};
  check(MPI_Recv(m.text.data(), n, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
        "MPI_Recv");
  return m;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string seconds_text(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", s);
  return b;
}

}  // namespace

bool mpi_nap() {
  timespec t{0, kPollNs};
  return nanosleep(&t, nullptr) == 0 || errno != EINTR;
}

MpiWorld::MpiWorld() {
  // Funneled: rank 0's sweep writes its points from a thread of its own
  // (driver/writer_thread.hpp), which never calls MPI.
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  // A rank that dies must not take the others down with an error here.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm host;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &host) == MPI_SUCCESS) {
    MPI_Comm_size(host, &on_host_);
    MPI_Comm_free(&host);
  }
}

MpiWorld::~MpiWorld() {
  if (finalize_) MPI_Finalize();
}

double heartbeat_period(double timeout_s) { return std::min(1.0, timeout_s / 5); }

struct MpiOutbox::Send {
  std::string text;
  int rank = 0;
  MPI_Request request = MPI_REQUEST_NULL;
};

MpiOutbox::MpiOutbox() = default;
MpiOutbox::~MpiOutbox() = default;

void MpiOutbox::send(int rank, int tag, std::string text) {
  auto s = std::make_unique<Send>();
  s->text = std::move(text);
  s->rank = rank;
  check(MPI_Isend(s->text.data(), static_cast<int>(s->text.size()), MPI_BYTE, rank, tag, MPI_COMM_WORLD,
                  &s->request),
        "MPI_Isend");
  sends_.push_back(std::move(s));
}

bool MpiOutbox::pending(const std::function<bool(int)>& counts) {
  std::erase_if(sends_, [](const std::unique_ptr<Send>& s) {
    int done = 0;
    return MPI_Test(&s->request, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && done;
  });
  return std::any_of(sends_.begin(), sends_.end(),
                     [&counts](const std::unique_ptr<Send>& s) { return !counts || counts(s->rank); });
}

MpiCoordinator::MpiCoordinator(const MpiWorld& world, double timeout_s) : timeout_s_(timeout_s) {
  for (int r = 1; r < world.size(); ++r) workers_.push_back({r, true, {}, {}});
}

MpiCoordinator::~MpiCoordinator() {
  const std::string stop = json{{"finalize", !lost_any()}}.dump();
  for (const Worker& w : workers_)
    if (w.alive) out_.send(w.rank, kTagStop, stop);
  // The stops are small (sent at once); a lost rank's sends are left.
  const auto t0 = std::chrono::steady_clock::now();
  auto alive = [this](int rank) { return workers_[static_cast<std::size_t>(rank - 1)].alive; };
  while (out_.pending(alive) && seconds_since(t0) <= timeout_s_) mpi_nap();
}

int MpiCoordinator::workers_alive() const {
  return static_cast<int>(std::count_if(workers_.begin(), workers_.end(), [](const Worker& w) { return w.alive; }));
}

void MpiCoordinator::poll() {
  out_.pending();
  while (std::optional<Message> m = receive(MPI_ANY_SOURCE)) {
    if (m->source < 1 || m->source > static_cast<int>(workers_.size())) continue;
    Worker& w = workers_[static_cast<std::size_t>(m->source - 1)];
    if (!w.alive) continue;  // declared lost: what it says now is too late
    w.heard = std::chrono::steady_clock::now();
    if (m->tag != kTagDone) continue;
    const std::size_t line = std::min(m->text.find('\n'), m->text.size());
    json d = json::parse(std::string_view(m->text).substr(0, line));
    ChildOutcome o;
    o.id = d.at("id").get<uint64_t>();
    o.status = d.at("status").get<int>();
    o.error = d.at("error").get<std::string>();
    // The report stays text: the scheduler parses it once it has started the next run.
    if (line + 1 < m->text.size()) o.result_text = m->text.substr(line + 1);
    auto held = std::find(w.runs.begin(), w.runs.end(), o.id);
    if (held == w.runs.end()) continue;  // not a run it holds (cannot happen)
    w.runs.erase(held);
    ready_.push_back(std::move(o));
  }
  for (Worker& w : workers_) {
    if (!w.alive || w.runs.empty() || seconds_since(w.heard) <= timeout_s_) continue;
    w.alive = false;
    for (uint64_t id : w.runs) {
      ChildOutcome o;
      o.id = id;
      o.status = kRunLost;
      o.error = "rank " + std::to_string(w.rank) + " went silent for " + seconds_text(timeout_s_) +
                " s (--mpi-timeout-s) and is lost";
      ready_.push_back(std::move(o));
    }
    w.runs.clear();
  }
}

class MpiRunPool : public RunPool {
 public:
  MpiRunPool(MpiCoordinator& c, int most) : c_(c), most_(most) {}
  // Runs still going are killed, and waited for, so that the next pool
  // starts with every live worker free.
  ~MpiRunPool() override {
    try {
      signal_all(SIGKILL);
      while (running() > 0) wait_one(false);
    } catch (const std::exception&) {
    }
  }
  // Every worker holds up to kMpiRunsHeld runs, so the scheduler may start that many a worker.
  int jobs() const override { return at_once() * kMpiRunsHeld; }
  int at_once() const override { return std::min(most_, c_.workers_alive()); }
  std::size_t running() const override { return mine_.size(); }

  // To the live worker holding the fewest runs (the lowest rank of those):
  // an idle one first, then a second run to each busy one.
  void start(uint64_t id, const json& raw) override {
    auto w = c_.workers_.end();
    for (auto it = c_.workers_.begin(); it != c_.workers_.end(); ++it)
      if (it->alive && it->runs.size() < static_cast<std::size_t>(kMpiRunsHeld) &&
          (w == c_.workers_.end() || it->runs.size() < w->runs.size()))
        w = it;
    if (full() || w == c_.workers_.end()) throw std::logic_error("MpiRunPool::start on a full pool");
    if (w->runs.empty()) w->heard = std::chrono::steady_clock::now();  // the timeout counts from here
    w->runs.push_back(id);
    c_.out_.send(w->rank, kTagRun, json{{"id", id}, {"raw", raw}}.dump());
    mine_.push_back(id);
  }

  std::optional<ChildOutcome> wait_one(bool interruptible) override {
    const auto t0 = std::chrono::steady_clock::now();
    while (!mine_.empty()) {
      c_.poll();
      auto o = std::find_if(c_.ready_.begin(), c_.ready_.end(), [this](const ChildOutcome& o) {
        return std::find(mine_.begin(), mine_.end(), o.id) != mine_.end();
      });
      if (o != c_.ready_.end()) {
        ChildOutcome out = std::move(*o);
        c_.ready_.erase(o);
        mine_.erase(std::find(mine_.begin(), mine_.end(), out.id));
        return out;
      }
      bool slept = mpi_nap();
      if (interruptible && (!slept || seconds_since(t0) >= kInterruptibleS)) return std::nullopt;
    }
    return std::nullopt;
  }

  void signal_all(int sig) override {
    for (const MpiCoordinator::Worker& w : c_.workers_)
      if (w.alive && std::any_of(w.runs.begin(), w.runs.end(), [this](uint64_t id) {
            return std::find(mine_.begin(), mine_.end(), id) != mine_.end();
          }))
        c_.out_.send(w.rank, kTagSignal, json{{"signal", sig}}.dump());
  }

 private:
  MpiCoordinator& c_;
  int most_;
  std::vector<uint64_t> mine_;  // ids of the runs this pool started, not yet returned
};

std::unique_ptr<RunPool> MpiCoordinator::pool(int most) { return std::make_unique<MpiRunPool>(*this, most); }

std::optional<MpiWorkerLink::Order> MpiWorkerLink::poll() {
  std::optional<Message> m = receive(0);
  if (!m) return std::nullopt;
  Order o;
  if (m->tag == kTagRun) {
    json d = json::parse(m->text);
    o.kind = Order::kRun;
    o.id = d.at("id").get<uint64_t>();
    o.raw = std::move(d["raw"]);
  } else if (m->tag == kTagSignal) {
    o.kind = Order::kSignal;
    o.signal = json::parse(m->text).at("signal").get<int>();
  } else {
    o.kind = Order::kStop;
    o.finalize = json::parse(m->text).value("finalize", true);
  }
  return o;
}

void MpiWorkerLink::heartbeat() {
  check(MPI_Send(nullptr, 0, MPI_BYTE, 0, kTagHeartbeat, MPI_COMM_WORLD), "MPI_Send");
}

void MpiWorkerLink::done(const ChildOutcome& o) {
  std::string text = json{{"id", o.id}, {"status", o.status}, {"error", o.error}}.dump();
  text += '\n';
  text += o.result ? o.result->dump() : o.result_text;
  out_.send(0, kTagDone, std::move(text));
}

void MpiWorkerLink::flush(double timeout_s) {
  const auto t0 = std::chrono::steady_clock::now();
  while (out_.pending() && seconds_since(t0) <= timeout_s) mpi_nap();
}

}  // namespace forksim
