#include "driver/writer_thread.hpp"

namespace forksim {

#ifdef FORKSIM_SANITIZED
constexpr bool kThreaded = false;  // see the header: the sanitizer's allocator and fork()
#else
constexpr bool kThreaded = true;
#endif

WriterThread::WriterThread(std::size_t most_queued) : most_queued_(most_queued < 1 ? 1 : most_queued) {
  if (kThreaded) thread_ = std::thread([this] { loop(); });
}

WriterThread::~WriterThread() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(m_);
    closing_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void WriterThread::rethrow_failure() {
  if (!failure_) return;
  std::exception_ptr f = failure_;
  failure_ = nullptr;  // thrown once
  std::rethrow_exception(f);
}

void WriterThread::post(std::function<void()> task) {
  if (!thread_.joinable()) {  // inline: a failure is thrown from here at once
    task();
    return;
  }
  std::unique_lock<std::mutex> lock(m_);
  changed_.wait(lock, [this] { return queue_.size() < most_queued_ || failure_; });
  rethrow_failure();
  queue_.push_back(std::move(task));
  lock.unlock();
  changed_.notify_all();
}

void WriterThread::finish() {
  std::unique_lock<std::mutex> lock(m_);
  changed_.wait(lock, [this] { return (queue_.empty() && !busy_) || failure_; });
  rethrow_failure();
}

void WriterThread::loop() {
  std::unique_lock<std::mutex> lock(m_);
  while (true) {
    changed_.wait(lock, [this] { return !queue_.empty() || closing_; });
    if (queue_.empty()) return;  // closing, nothing left
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    std::exception_ptr failed;
    try {
      task();
    } catch (...) {
      failed = std::current_exception();
    }
    task = nullptr;  // what it held goes here, not under the lock
    lock.lock();
    busy_ = false;
    if (failed) {
      failure_ = failed;
      queue_.clear();  // the rest would have followed a failed write
    }
    changed_.notify_all();
  }
}

}  // namespace forksim
