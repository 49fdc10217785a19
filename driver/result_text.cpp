#include "driver/result_text.hpp"

#include <algorithm>
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

std::string pretty_from_compact(std::string_view in, std::size_t by) {
  std::string out;
  out.reserve(in.size() + in.size() / 2);
  std::size_t spaces = by;  // before a line at the current depth
  auto newline = [&out](std::size_t k) {
    out += '\n';
    out.append(k, ' ');
  };
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    const char c = in[i];
    switch (c) {
      case '"': {  // a string, copied whole: its braces and commas are not the layout's
        std::size_t j = i + 1;
        while (j < n && in[j] != '"') j += in[j] == '\\' ? 2 : 1;
        j = std::min(j + 1, n);
        out.append(in.substr(i, j - i));
        i = j;
        continue;
      }
      case '{':
      case '[':
        if (i + 1 < n && in[i + 1] == (c == '{' ? '}' : ']')) {  // empty: "{}", "[]"
          out += c;
          out += in[i + 1];
          i += 2;
          continue;
        }
        out += c;
        spaces += 2;
        newline(spaces);
        break;
      case '}':
      case ']':
        spaces = spaces >= 2 ? spaces - 2 : 0;
        newline(spaces);
        out += c;
        break;
      case ',':
        out += ',';
        newline(spaces);
        break;
      case ':':
        out += ": ";
        break;
      default: {  // a number or a literal: up to the next structural character
        std::size_t j = i + 1;
        while (j < n && in[j] != ',' && in[j] != '}' && in[j] != ']' && in[j] != ':' && in[j] != '"') ++j;
        out.append(in.substr(i, j - i));
        i = j;
        continue;
      }
    }
    ++i;
  }
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
