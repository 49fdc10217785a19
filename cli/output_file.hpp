// Where `forksim run -o PATH` puts the report, without ever destroying a file.
//
// - "-" (or /dev/stdout): standard output. /dev/stderr, /dev/fd/N and
//   /proc/self/fd/N: that descriptor, written as it is.
// - A character device or a FIFO (/dev/null, /dev/full, a named pipe):
//   opened and written directly, never replaced; a write error is reported.
// - A regular file, or nothing yet: a new temporary file next to it, created
//   exclusively (never an existing file, never through a symbolic link, so a
//   user's PATH.tmp or a planted link is left alone), written, synced, given
//   the replaced file's mode and owner (a new file: 0666 minus the umask),
//   then renamed onto PATH: a reader sees the old report or the new one,
//   never a mix, and a failed write leaves the old one as it was. So the
//   directory must take a new file: a writable report in a read-only
//   directory is refused rather than overwritten in place.
// - A symbolic link: the file it resolves to is treated as above, the link
//   kept; a link to nothing is refused.
// - Anything else (a directory, a socket, a block device) is refused.
#pragma once
#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace forksim {

// A text made a piece at a time (a sweep's result, too large to hold as one
// string): the producer hands each piece to the sink, in order.
using TextSink = std::function<void(std::string_view)>;
using TextProducer = std::function<void(const TextSink&)>;

// Every message starts "-o PATH: " and says why.
struct OutputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class OutputFile {
 public:
  // Checks PATH now, before a run, so that an unusable -o costs nothing:
  // the directory exists and takes a new file, the file is writable.
  explicit OutputFile(std::string path);
  // The report goes to standard output (then the summary must not).
  bool is_stdout() const { return fd_ == 1; }
  // Writes the report; standard output is `out`.
  void write(const std::string& text, std::ostream& out) const;
  // The same, the text made by `produce` as it is written (what it throws
  // leaves nothing written over PATH).
  void write(const TextProducer& produce, std::ostream& out) const;

 private:
  std::string path_;
  int fd_ = -1;  // a descriptor path's number, or -1
};

// Proposes a name for the temporary, given the prefix "DIR/.NAME." of the
// file it will replace. For tests; the default adds random characters.
using TempNamer = std::function<std::string(const std::string& prefix)>;

// The writer for a PATH that names no descriptor, by the rules above,
// without OutputFile's early checks. Throws OutputError.
void write_output(const std::string& path, const std::string& text, const TempNamer& namer = {});
void write_output(const std::string& path, const TextProducer& produce, const TempNamer& namer = {});

}  // namespace forksim
