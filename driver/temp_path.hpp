// Where the driver's temporary files go: $TMPDIR, or /tmp when it is unset
// or empty, as mkstemp(3)'s callers conventionally read it.
#pragma once
#include <cstdlib>
#include <string>

namespace forksim {

// "<dir>/<name>XXXXXX", a template for mkdtemp/mkostemp.
inline std::string temp_template(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp && *tmp ? tmp : "/tmp") + "/" + name + "XXXXXX";
}

}  // namespace forksim
