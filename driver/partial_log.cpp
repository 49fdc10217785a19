#include "driver/partial_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "scenarios/json_text.hpp"
#include "scenarios/scenario.hpp"

namespace forksim {

PartialLog::PartialLog(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    std::string why = errno == EEXIST
                          ? "exists: an earlier sweep that did not finish left its points there; "
                            "move it away or choose another -o"
                          : std::strerror(errno);
    throw ScenarioError("-o", printable(path_, 1024) + ": " + why);
  }
}

PartialLog::PartialLog(std::string path, std::size_t keep_bytes) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd_ >= 0 && ::ftruncate(fd_, static_cast<off_t>(keep_bytes)) == 0 && ::fsync(fd_) == 0) return;
  std::string why = std::strerror(errno);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  throw ScenarioError("-o", printable(path_, 1024) + ": " + why);
}

PartialLog::~PartialLog() {
  if (fd_ >= 0) ::close(fd_);
}

void PartialLog::append(const std::string& line) {
  std::string text = line + "\n";
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(path_ + ": " + std::strerror(errno));
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd_) != 0) throw std::runtime_error(path_ + ": fsync: " + std::strerror(errno));
}

void PartialLog::remove() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(path_.c_str());
}

}  // namespace forksim
