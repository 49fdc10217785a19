#include "analysis/json_lookup.hpp"

using nlohmann::json;

namespace forksim {

const json* at_key(const json& j, const std::string& key) {
  const json* cur = &j;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(part);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

std::optional<double> number_at(const json& j, const std::string& key) {
  const json* v = at_key(j, key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

const json& object_at(const json& j, const std::string& key) {
  static const json empty = json::object();
  const json* v = at_key(j, key);
  return v && v->is_object() ? *v : empty;
}

std::string text_at(const json& j, const std::string& key) {
  const json* v = at_key(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace forksim
