// "Did you mean": the likely intended word for a mistyped key, choice,
// step, command or path.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace forksim {

// Edit distance with adjacent transpositions (optimal string alignment), so
// that "ncpsu" is one edit from "ncpus".
std::size_t edit_distance(std::string_view a, std::string_view b);

// "; did you mean \"ncpus\"?" for the candidate nearest `word`, if it is
// near enough to be a typo (at most a third of its length away, and at least
// one edit), else "". Ties go to the one sharing the longest prefix
// with the word, then to the earlier.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace forksim
