#include "cli/output_file.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/interrupt.hpp"

namespace forksim {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why, int err = 0) {
  std::string msg = "-o " + path + ": " + why;
  if (err) msg += std::string(": ") + std::strerror(err);
  throw OutputError(msg);
}

// The descriptor a path names ("-", /dev/stdout, /dev/fd/3, ...), or -1.
int descriptor_of(const std::string& path) {
  if (path == "-" || path == "/dev/stdout") return 1;
  if (path == "/dev/stderr") return 2;
  for (const char* prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    const size_t n = std::strlen(prefix);
    if (path.compare(0, n, prefix) != 0 || path.size() == n || path.size() > n + 9) continue;
    if (path.find_first_not_of("0123456789", n) != std::string::npos) continue;
    return std::stoi(path.substr(n));
  }
  return -1;
}

std::string dir_of(const std::string& p) {
  const size_t i = p.rfind('/');
  if (i == std::string::npos) return ".";
  return i == 0 ? "/" : p.substr(0, i);
}

std::string base_of(const std::string& p) {
  const size_t i = p.rfind('/');
  return i == std::string::npos ? p : p.substr(i + 1);
}

enum class Kind { Absent, Regular, Direct };

struct Target {
  Kind kind = Kind::Absent;
  std::string path;  // what is replaced or written: PATH, or what its link resolves to
  struct stat st {};  // when it exists
};

Target classify(const std::string& path) {
  if (path.empty()) fail(path, "an empty path");
  Target t;
  t.path = path;
  if (lstat(path.c_str(), &t.st) != 0) {
    if (errno != ENOENT) fail(path, "cannot look it up", errno);
    const std::string dir = dir_of(path);
    struct stat ds;
    if (stat(dir.c_str(), &ds) != 0) fail(path, "directory " + dir, errno);
    if (!S_ISDIR(ds.st_mode)) fail(path, dir + " is not a directory");
    return t;
  }
  if (S_ISLNK(t.st.st_mode)) {
    // Replacing the link would cut it from its file: the file is the report.
    char* resolved = realpath(path.c_str(), nullptr);
    if (!resolved) fail(path, "a symbolic link that does not resolve to a file", errno);
    t.path = resolved;
    std::free(resolved);
    if (stat(t.path.c_str(), &t.st) != 0) fail(path, "cannot look up " + t.path, errno);
  }
  if (S_ISREG(t.st.st_mode))
    t.kind = Kind::Regular;
  else if (S_ISCHR(t.st.st_mode) || S_ISFIFO(t.st.st_mode))
    t.kind = Kind::Direct;
  else if (S_ISDIR(t.st.st_mode))
    fail(path, "is a directory");
  else
    fail(path, "not a regular file, character device or FIFO");
  return t;
}

std::string random_suffix() {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 10; ++i) s += kChars[rd() % (sizeof kChars - 1)];
  return s;
}

// A new file next to `target`, opened for writing and registered for a
// second signal to remove; `name` is set to it.
int create_temporary(const std::string& path, const std::string& target, const TempNamer& namer,
                     std::string& name) {
  // Short enough that the name stays under NAME_MAX whatever the target's.
  const std::string prefix = dir_of(target) + "/." + base_of(target).substr(0, 200) + ".";
  for (int attempt = 0; attempt < 100; ++attempt) {
    name = namer ? namer(prefix) : prefix + random_suffix() + ".tmp";
    // O_EXCL: never a file that is there already, be it a user's or a link
    // planted at the name (O_CREAT|O_EXCL does not follow links).
    int fd = open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      try {
        register_temporary(name);
      } catch (const std::length_error&) {
        close(fd);
        unlink(name.c_str());
        fail(path, "path too long for a temporary file in " + dir_of(target));
      }
      return fd;
    }
    if (errno != EEXIST) fail(path, "cannot create a file in " + dir_of(target), errno);
  }
  fail(path, "no free name for a temporary file in " + dir_of(target));
}

// Returns 0 or the errno of the failure.
int write_all(int fd, std::string_view text) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return 0;
}

// Writes what `produce` gives to fd; returns 0 or the errno of the first
// failure (nothing is written after it).
int write_produced(int fd, const TextProducer& produce) {
  int err = 0;
  produce([&](std::string_view piece) {
    if (!err) err = write_all(fd, piece);
  });
  return err;
}

mode_t new_file_mode() {
  const mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

void write_direct(const std::string& path, const Target& t, const TextProducer& produce) {
  // No O_TRUNC: if the node was swapped for a regular file since it was
  // looked at, the check below refuses it before a byte is written.
  int fd = open(t.path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open", errno);
  struct stat st;
  if (fstat(fd, &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
    close(fd);
    fail(path, "changed while the report was being written");
  }
  int err = 0;
  try {
    err = write_produced(fd, produce);
  } catch (...) {
    close(fd);
    throw;
  }
  if (close(fd) != 0 && !err) err = errno;
  if (err) fail(path, "cannot write", err);
}

void replace_file(const std::string& path, const Target& t, const TextProducer& produce,
                  const TempNamer& namer) {
  std::string tmp;
  int fd = create_temporary(path, t.path, namer, tmp);
  auto drop = [&](const std::string& why, int err) {
    if (fd >= 0) close(fd);
    unlink(tmp.c_str());
    unregister_temporary();
    fail(path, why, err);
  };
  if (t.kind == Kind::Regular) {
    // Kept where allowed (root replacing a user's report); mode after owner,
    // which may clear set-id bits.
    if (t.st.st_uid != geteuid() || t.st.st_gid != getegid())
      if (fchown(fd, t.st.st_uid, t.st.st_gid) != 0) { /* not ours to give away: ours then */ }
  }
  const mode_t mode = t.kind == Kind::Regular ? (t.st.st_mode & 07777) : new_file_mode();
  if (fchmod(fd, mode) != 0) drop("cannot set the mode of " + tmp, errno);
  int err = 0;
  try {
    err = write_produced(fd, produce);
  } catch (...) {  // the text could not be made: nothing of it stays
    close(fd);
    unlink(tmp.c_str());
    unregister_temporary();
    throw;
  }
  if (err) drop("cannot write " + tmp, err);
  if (fsync(fd) != 0) drop("cannot sync " + tmp, errno);
  const int closed = close(fd);
  fd = -1;
  if (closed != 0) drop("cannot write " + tmp, errno);
  if (rename(tmp.c_str(), t.path.c_str()) != 0) drop("cannot rename " + tmp + " onto it", errno);
  unregister_temporary();
  // The rename itself durable; some file systems cannot sync a directory,
  // and the report is in place either way.
  int dfd = open(dir_of(t.path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)fsync(dfd);
    close(dfd);
  }
}

}  // namespace

void write_output(const std::string& path, const TextProducer& produce, const TempNamer& namer) {
  Target t = classify(path);
  if (t.kind == Kind::Direct)
    write_direct(path, t, produce);
  else
    replace_file(path, t, produce, namer);
}

void write_output(const std::string& path, const std::string& text, const TempNamer& namer) {
  write_output(path, TextProducer([&text](const TextSink& sink) { sink(text); }), namer);
}

OutputFile::OutputFile(std::string path) : path_(std::move(path)), fd_(descriptor_of(path_)) {
  if (fd_ >= 0) {
    const int fl = fcntl(fd_, F_GETFL);
    if (fl < 0) fail(path_, "descriptor " + std::to_string(fd_) + " is not open", errno);
    if ((fl & O_ACCMODE) == O_RDONLY)
      fail(path_, "descriptor " + std::to_string(fd_) + " is not open for writing");
    return;
  }
  const Target t = classify(path_);
  if (t.kind != Kind::Absent && faccessat(AT_FDCWD, t.path.c_str(), W_OK, AT_EACCESS) != 0)
    fail(path_, "not writable", errno);
  if (t.kind == Kind::Direct) return;
  // Creating (and removing) a temporary now is the surest test that the
  // one at the end can be made: permissions, a read-only file system, root.
  std::string tmp;
  const int fd = create_temporary(path_, t.path, {}, tmp);
  close(fd);
  unlink(tmp.c_str());
  unregister_temporary();
}

void OutputFile::write(const std::string& text, std::ostream& out) const {
  write(TextProducer([&text](const TextSink& sink) { sink(text); }), out);
}

void OutputFile::write(const TextProducer& produce, std::ostream& out) const {
  if (fd_ < 0) {
    write_output(path_, produce, {});
    return;
  }
  if (fd_ == 1) {
    errno = 0;
    produce([&out](std::string_view piece) { out << piece; });
    out << std::flush;
    // Streams do not promise errno; say so rather than print "Success".
    if (!out) fail(path_, "cannot write to standard output", errno ? errno : EIO);
    return;
  }
  if (int err = write_produced(fd_, produce)) fail(path_, "cannot write", err);
}

}  // namespace forksim
