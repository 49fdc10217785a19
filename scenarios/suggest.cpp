#include "scenarios/suggest.hpp"

#include <algorithm>

namespace forksim {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic programme: two back for transpositions.
  std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  std::size_t best_d = 0, best_prefix = 0;
  auto common_prefix = [&](const std::string& c) {
    std::size_t n = 0;
    while (n < word.size() && n < c.size() && word[n] == c[n]) ++n;
    return n;
  };
  for (const auto& c : candidates) {
    std::size_t limit = std::max<std::size_t>(1, c.size() / 3);
    // The distance is at least the difference in length: a long word (a
    // hostile 50 MB key) is dismissed without computing it.
    std::size_t gap = word.size() > c.size() ? word.size() - c.size() : c.size() - word.size();
    if (gap > limit) continue;
    std::size_t d = edit_distance(word, c);
    if (d == 0 || d > limit) continue;
    // Between equally near ones, the one that starts as the word does:
    // "of" is more likely "off" than "on".
    std::size_t prefix = common_prefix(c);
    if (!best || d < best_d || (d == best_d && prefix > best_prefix))
      best = &c, best_d = d, best_prefix = prefix;
  }
  return best ? "; did you mean \"" + *best + "\"?" : "";
}

}  // namespace forksim
