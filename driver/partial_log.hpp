// A sweep's finished points as they finish: one JSON line each, appended
// and fsync'd, so that an interrupted or failed sweep leaves on disk every
// point it finished (design: `<out>.partial.jsonl`).
#pragma once
#include <cstddef>
#include <string>

namespace forksim {

class PartialLog {
 public:
  // Creates path (never an existing file, never through a symbolic link:
  // one left by an earlier sweep that did not finish holds its points).
  // Throws ScenarioError naming -o when it cannot.
  explicit PartialLog(std::string path);
  // Reopens an existing log to append to it, cut to its first keep_bytes
  // (driver/sweep_resume.hpp: without a last line cut short).
  PartialLog(std::string path, std::size_t keep_bytes);
  ~PartialLog();
  PartialLog(const PartialLog&) = delete;
  PartialLog& operator=(const PartialLog&) = delete;

  const std::string& path() const { return path_; }
  // Appends one line and syncs it; throws std::runtime_error on failure.
  void append(const std::string& line);
  // Closes and removes the file (the sweep's result is written whole).
  void remove();

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace forksim
