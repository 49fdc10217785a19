#include "cli/result_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "scenarios/json_text.hpp"

namespace forksim {
namespace {

constexpr std::size_t kMaxResultDepth = 256;

}  // namespace

nlohmann::json read_result_file(const std::string& path) {
  const std::string name = printable(path, 200);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    throw ResultFileError(name + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw ResultFileError(name + ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) throw ResultFileError(name + ": cannot read it");
  auto too_deep = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (static_cast<std::size_t>(depth) > kMaxResultDepth)
      throw ResultFileError("nested deeper than " + std::to_string(kMaxResultDepth) + " levels");
    return true;
  };
  try {
    return nlohmann::json::parse(text.str(), too_deep);
  } catch (const nlohmann::json::exception& e) {
    throw ResultFileError(name + ": not JSON (" + printable(e.what(), 200) + ")");
  } catch (const ResultFileError& e) {
    throw ResultFileError(name + ": " + e.what());
  }
}

}  // namespace forksim
