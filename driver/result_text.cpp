#include "driver/result_text.hpp"

#include <stdexcept>

using nlohmann::json;

namespace forksim {

std::string indented(const std::string& text, std::size_t by) {
  const std::string pad(by, ' ');
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  std::size_t from = 0;
  for (std::size_t nl; (nl = text.find('\n', from)) != std::string::npos; from = nl + 1) {
    out.append(text, from, nl + 1 - from);
    out += pad;
  }
  out.append(text, from, std::string::npos);
  return out;
}

namespace {

// Gathers pieces into writes of about kBytes.
class Buffer {
 public:
  explicit Buffer(const TextSink& to) : to_(to) { buf_.reserve(kBytes); }
  void operator()(std::string_view piece) {
    if (buf_.size() + piece.size() > kBytes) flush();
    if (piece.size() >= kBytes) {
      to_(piece);
      return;
    }
    buf_.append(piece);
  }
  void flush() {
    if (!buf_.empty()) to_(buf_);
    buf_.clear();
  }

 private:
  static constexpr std::size_t kBytes = 1 << 20;
  const TextSink& to_;
  std::string buf_;
};

}  // namespace

// The layout of nlohmann's dump(2): "{", then each member on its own line
// at 2 spaces, "key": value, separated by ",", then "}" on its own line;
// the same for the points array one level down.
void write_result(const json& result, const PointStore& store, const std::vector<std::size_t>& slots,
                  const TextSink& sink) {
  if (!result.is_object() || result.empty()) throw std::logic_error("write_result: not a result");
  const std::size_t npoints = result.contains("points") ? result["points"].size() : 0;
  if (slots.size() != npoints) throw std::logic_error("write_result: the slots are not the result's points");
  Buffer out(sink);
  out("{\n");
  std::size_t k = 0;
  for (const auto& [key, value] : result.items()) {
    out(k++ ? ",\n  " : "  ");
    out(json(key).dump());
    out(": ");
    if (key != "points" || !value.is_array()) {
      out(indented(value.dump(2), 2));
      continue;
    }
    if (slots.empty()) {
      out("[]");
      continue;
    }
    out("[\n");
    const TextSink piece = [&out](std::string_view s) { out(s); };
    for (std::size_t i = 0; i < slots.size(); ++i) {
      out(i ? ",\n    " : "    ");
      store.write(slots[i], piece);
    }
    out("\n  ]");
  }
  out("\n}\n");
  out.flush();
}

}  // namespace forksim
