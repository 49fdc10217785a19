// A sweep's points kept on disk, not in the driver's memory, from the time
// each one is decided until the result is written. A run report is ~20 KB
// of JSON, so a sweep of a thousand points of five runs holds ~100 MB, and
// a tree of it several times that; worse, every run is a fork() of the
// driver, whose cost grows with the memory the kernel must map again.
//
// Each point (a sweep result's points[i], finished or failed) is written
// once, when added, to an unnamed temporary file (in $TMPDIR, removed as
// soon as it is made, so nothing is left whatever ends the process): its
// text as a result holds it (driver/result_text.hpp), laid out from its
// compact text (a sweep has that already: its partial-log line). The
// point without its runs (its digest), all that a summary reads, is a
// fifth of it and is the caller's to keep (SweepTable, read_sweep_file).
#pragma once
#include <cstddef>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

namespace forksim {

// Where text goes, a piece at a time.
using TextSink = std::function<void(std::string_view)>;

class PointStore {
 public:
  // Throws std::runtime_error when the temporary file cannot be made.
  PointStore();
  ~PointStore();
  PointStore(PointStore&& other) noexcept;
  PointStore& operator=(PointStore&& other) noexcept;
  PointStore(const PointStore&) = delete;
  PointStore& operator=(const PointStore&) = delete;

  // Keeps a point; returns its slot (0, 1, ... in the order added).
  // `compact`, when given, is point.dump() (not made again).
  // Throws std::runtime_error when the file cannot take it. Threads may
  // add at once (a merge reads its shards side by side); the rest is for
  // one thread once the adding is done.
  std::size_t add(const nlohmann::json& point, std::string compact = {});
  // The same for a point given as its text already laid out as write()
  // gives it (a sweep result's points[i] as forksim wrote it), its runs'
  // count and whether it failed.
  std::size_t add_text(std::string_view text, std::size_t runs, bool failed);
  std::size_t size() const { return slots_.size(); }

  bool failed(std::size_t slot) const { return slots_.at(slot).failed; }
  // The number of elements of its "runs" (0 when it has none).
  std::size_t run_count(std::size_t slot) const { return slots_.at(slot).runs; }
  // The whole point, read back (for the few callers that need its runs).
  nlohmann::json point(std::size_t slot) const;
  // The point's text as point.dump(2) nested at a result's points[i]
  // (every line after the first indented by 4 more spaces).
  void write(std::size_t slot, const TextSink& sink) const;

 private:
  struct Slot {
    std::size_t text_at, text_size, runs;
    bool failed;
  };
  std::string read(std::size_t at, std::size_t size) const;
  std::size_t append(std::string_view text);

  int fd_ = -1;
  std::mutex adding_;  // end_ and slots_ while points are added
  std::size_t end_ = 0;
  std::vector<Slot> slots_;
};

}  // namespace forksim
