#include "scenarios/json_text.hpp"

#include <cstdio>
#include <vector>

namespace forksim {

using json = nlohmann::json;

namespace {

// Length of the well-formed UTF-8 sequence at s[i], 0 if there is none
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

std::string hex_byte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  return buf;
}

std::string join_key(const std::string& prefix, const std::string& segment) {
  return prefix.empty() ? segment : prefix + "." + segment;
}

// Builds the document from the lexer's events, tracking where it is so that
// every refusal names the key path. nlohmann's parser is iterative, and so is
// this builder, so no input can exhaust the stack while reading; the depth
// cap keeps what is built shallow for everything that reads it afterwards.
class Builder {
 public:
  Builder(const std::string& origin, const std::string& prefix) : origin_(origin), prefix_(prefix) {}

  json result() { return std::move(root_); }

  bool null() { return add(nullptr); }
  bool boolean(bool v) { return add(v); }
  bool number_integer(json::number_integer_t v) { return add(v); }
  bool number_unsigned(json::number_unsigned_t v) { return add(v); }
  bool number_float(json::number_float_t v, const std::string&) { return add(v); }
  bool string(std::string& v) { return add(std::move(v)); }
  bool binary(json::binary_t&) { return refuse(path(), "binary values are not JSON"); }

  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(std::string& k) {
    Frame& f = frames_.back();
    f.key = k;
    if (f.node->contains(k)) throw ScenarioError(path(), "duplicate key" + where());
    f.slot = &(*f.node)[k];
    return true;
  }

  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& e) {
    position_ = position;
    if (e.id == 406)  // out_of_range: the lexer read a number beyond a double
      throw ScenarioError(path(), "number out of the range of a double: " + printable(last_token) +
                                      where());
    // "[json.exception.parse_error.101] parse error at line 1, column 5:
    // syntax error ...; last read: '...'": keep the reason, show the token safely.
    std::string what = e.what();
    auto start = what.find("] ");
    what = start == std::string::npos ? what : what.substr(start + 2);
    auto last = what.find("; last read:");
    if (last != std::string::npos) what.resize(last);
    std::string near = last_token.empty() ? "" : " near " + printable(last_token);
    throw JsonSyntaxError(origin_, "not valid JSON: " + printable(what, 200) + near);
  }

 private:
  struct Frame {
    json* node;
    std::string key;       // object: the key being read
    json* slot = nullptr;  // object: where its value goes
    std::size_t index = 0; // array: the element being read
  };

  // The dotted path of the value being read: prefix, then keys and [index];
  // past kShownLevels levels "[...]" stands for the rest (deep nesting would
  // make it as long as the input).
  static constexpr std::size_t kShownLevels = 8;
  std::string path() const {
    std::string p = prefix_;
    for (const Frame& f : frames_) {
      if (&f - frames_.data() == kShownLevels) {
        p += "[...]";
        break;
      }
      if (f.node->is_array()) p.append("[").append(std::to_string(f.index)).append("]");
      else p = join_key(p, printable(f.key));
    }
    return p.empty() ? origin_ : p;
  }

  std::string where() const {
    return position_ ? " (" + origin_ + ", byte " + std::to_string(position_) + ")"
                     : " (" + origin_ + ")";
  }

  bool refuse(const std::string& key, const std::string& reason) {
    throw ScenarioError(key, reason + where());
  }

  json* place(json&& v) {
    if (frames_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame& f = frames_.back();
    if (f.node->is_array()) {
      f.node->push_back(std::move(v));
      ++f.index;
      return &f.node->back();
    }
    *f.slot = std::move(v);
    return f.slot;
  }

  bool add(json&& v) {
    place(std::move(v));
    return true;
  }

  bool open(json&& empty) {
    if (frames_.size() >= kMaxNestingDepth)
      refuse(path(), "nested deeper than " + std::to_string(kMaxNestingDepth) + " levels");
    // An array counts its element once it is complete, so that a refusal
    // inside it names the element's index.
    bool in_array = !frames_.empty() && frames_.back().node->is_array();
    json* node;
    if (in_array) {
      frames_.back().node->push_back(std::move(empty));
      node = &frames_.back().node->back();
    } else {
      node = place(std::move(empty));
    }
    frames_.push_back(Frame{node, {}});
    return true;
  }

  bool close() {
    frames_.pop_back();
    if (!frames_.empty() && frames_.back().node->is_array()) ++frames_.back().index;
    return true;
  }

  const std::string& origin_;
  const std::string& prefix_;
  json root_;
  std::vector<Frame> frames_;
  std::size_t position_ = 0;
};

}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_sequence(s, i);
    if (!n) return false;
    i += n;
  }
  return true;
}

std::string printable(std::string_view s, std::size_t max) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size() && i < max) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = utf8_sequence(s, i);
    if (n == 0 || c < 0x20 || c == 0x7f) {
      out += hex_byte(c);
      ++i;
    } else if (i + n <= max) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      break;  // a character that would pass the limit
    }
  }
  if (i < s.size()) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

void check_text_size(std::size_t n, const std::string& key) {
  require(n <= kMaxScenarioBytes, key,
          "larger than the " + std::to_string(kMaxScenarioBytes >> 20) +
          " MiB a scenario may have (at least " + std::to_string(n) + " bytes)");
}

std::string in_quotes(std::string_view s) {
  std::string out = "\"";
  return out.append(printable(s)).append("\"");
}

std::string type_of(const json& v) {
  std::string type = v.type_name();
  if (v.is_structured()) return type;
  if (v.is_string()) return type + " " + in_quotes(v.get_ref<const std::string&>());
  return type + " " + v.dump();
}

json parse_json_text(std::string_view text, const std::string& origin,
                     const std::string& key_prefix) {
  check_text_size(text.size(), key_prefix.empty() ? origin : key_prefix);
  Builder b(origin, key_prefix);
  json::sax_parse(text.begin(), text.end(), &b);
  return b.result();
}

json parse_scenario_text(std::string_view text, const std::string& origin) {
  return parse_json_text(text, origin, "");
}

}  // namespace forksim
