// A sweep result's text, written a piece at a time: result.dump(2) + "\n"
// but that its "points" come from a PointStore (driver/point_store.hpp),
// so that the whole text, and the tree of the runs it holds, are never in
// memory at once. The bytes are those dump(2) gives for the whole result.
#pragma once
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "driver/point_store.hpp"

namespace forksim {

// `json` with each line after the first indented by `by` more spaces: the
// text of a value nested that deep in a dump(2). (JSON strings hold no raw
// line break, so every '\n' is one of the layout's.)
std::string indented(const std::string& text, std::size_t by);

// Compact JSON text (a dump()) laid out as dump(2) lays it out, nested `by`
// spaces deep: indented(json::parse(compact).dump(2), by), without the tree.
// The text must be a dump()'s: no whitespace outside strings.
std::string pretty_from_compact(std::string_view compact, std::size_t by);

// Writes `result` (an object) with its "points" array's elements replaced
// by the store's points at `slots`, in that order (as many as
// result["points"] holds: the digests the callers read), then "\n". The
// sink gets pieces of about a megabyte.
void write_result(const nlohmann::json& result, const PointStore& store, const std::vector<std::size_t>& slots,
                  const TextSink& sink);

}  // namespace forksim
