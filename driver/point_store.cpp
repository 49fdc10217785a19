#include "driver/point_store.hpp"
#include "driver/temp_path.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "driver/result_text.hpp"

using nlohmann::json;

namespace forksim {
namespace {

constexpr std::size_t kPointIndent = 4;  // a result's points[i] is nested two levels deep

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("the sweep's point store: " + what + ": " + std::strerror(errno));
}

}  // namespace

PointStore::PointStore() {
  std::string name = temp_template("forksim-points-");
  fd_ = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd_ < 0) fail("cannot make a temporary file (" + name + ")");
  ::unlink(name.c_str());  // the descriptor keeps it; nothing is left behind
}

PointStore::~PointStore() {
  if (fd_ >= 0) ::close(fd_);
}

PointStore::PointStore(PointStore&& o) noexcept : fd_(o.fd_), end_(o.end_), slots_(std::move(o.slots_)) {
  o.fd_ = -1;  // (a store is moved only when no thread adds to it)
}

PointStore& PointStore::operator=(PointStore&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    end_ = o.end_;
    slots_ = std::move(o.slots_);
    o.fd_ = -1;
  }
  return *this;
}

std::size_t PointStore::append(std::string_view text) {
  const std::size_t at = end_;
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::pwrite(fd_, text.data() + done, text.size() - done, static_cast<off_t>(at + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot write");
    done += static_cast<std::size_t>(n);
  }
  end_ += text.size();
  return at;
}

std::string PointStore::read(std::size_t at, std::size_t size) const {
  std::string s(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd_, s.data() + done, size - done, static_cast<off_t>(at + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot read");
    done += static_cast<std::size_t>(n);
  }
  return s;
}

std::size_t PointStore::add(const json& point, std::string compact) {
  if (compact.empty()) compact = point.dump();
  // Laid out now, as the result nests it (a sweep adds from its writer
  // thread, beside the runs): the result's writing is then a copy, with
  // the cores idle for as short a time as can be.
  const json* runs = point.is_object() && point.contains("runs") ? &point["runs"] : nullptr;
  return add_text(pretty_from_compact(compact, kPointIndent), runs && runs->is_array() ? runs->size() : 0,
                  point.is_object() && point.contains("failed"));
}

std::size_t PointStore::add_text(std::string_view text, std::size_t runs, bool failed) {
  Slot s{};
  s.text_size = text.size();
  s.runs = runs;
  s.failed = failed;
  std::lock_guard<std::mutex> lock(adding_);  // the text is made; now its place
  s.text_at = append(text);
  slots_.push_back(s);
  return slots_.size() - 1;
}

json PointStore::point(std::size_t slot) const {
  const Slot& s = slots_.at(slot);
  return json::parse(read(s.text_at, s.text_size));
}

void PointStore::write(std::size_t slot, const TextSink& sink) const {
  const Slot& s = slots_.at(slot);
  constexpr std::size_t kPiece = 1 << 20;
  for (std::size_t done = 0; done < s.text_size; done += kPiece)
    sink(read(s.text_at + done, std::min(kPiece, s.text_size - done)));
}

}  // namespace forksim
