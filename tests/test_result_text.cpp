// A sweep result's text made a piece at a time (driver/result_text.hpp,
// driver/point_store.hpp): every piece must be byte for byte what
// nlohmann's dump(2) of the whole would give, since readers, the replay and
// the resume tests compare results as text.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>

#include "driver/point_store.hpp"
#include "driver/sweep.hpp"
#include "driver/result_text.hpp"

using forksim::indented;
using forksim::PointStore;
using forksim::pretty_from_compact;
using nlohmann::json;

namespace {

// A random JSON value: every kind, empty and nested containers, and strings
// holding what the layout must not touch (braces, commas, colons, quotes,
// backslashes, escapes, non-ASCII).
json random_value(std::mt19937_64& rng, int depth) {
  static const char* const kStrings[] = {"", "a", "{}", "[1,2]", "x: y, z", "quote \" inside",
                                         "back\\slash", "line\nbreak\ttab", "\\\"", "é ü 漢",
                                         "\x01 control", "}]", "\\"};
  const int kind = static_cast<int>(rng() % (depth > 3 ? 6 : 8));
  switch (kind) {
    case 0: return nullptr;
    case 1: return rng() % 2 == 0;
    case 2: return static_cast<int64_t>(rng() % 2000) - 1000;
    case 3: return std::ldexp(static_cast<double>(rng() % 100000) - 50000, -static_cast<int>(rng() % 40));
    case 4: return static_cast<uint64_t>(rng());
    case 5: return kStrings[rng() % (sizeof kStrings / sizeof *kStrings)];
    case 6: {
      json a = json::array();
      for (int n = static_cast<int>(rng() % 5); n > 0; --n) a.push_back(random_value(rng, depth + 1));
      return a;
    }
    default: {
      json o = json::object();
      for (int n = static_cast<int>(rng() % 5); n > 0; --n)
        o[std::string(kStrings[rng() % (sizeof kStrings / sizeof *kStrings)]) + std::to_string(n)] =
            random_value(rng, depth + 1);
      return o;
    }
  }
}

}  // namespace

TEST_CASE("compact JSON laid out again is dump(2)'s text, nested as asked", "[driver]") {
  CHECK(pretty_from_compact("{}", 4) == "{}");
  CHECK(pretty_from_compact(R"({"a":[],"b":{},"c":[1,{"d":null}]})", 0) ==
        "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    {\n      \"d\": null\n    }\n  ]\n}");
  CHECK(pretty_from_compact(R"(["{,:}\"]"])", 4) == "[\n      \"{,:}\\\"]\"\n    ]");
  std::mt19937_64 rng(20261202);
  for (int i = 0; i < 500; ++i) {
    const json v = random_value(rng, 0);
    INFO(v.dump());
    for (std::size_t by : {0, 4}) REQUIRE(pretty_from_compact(v.dump(), by) == indented(v.dump(2), by));
  }
}

TEST_CASE("the point store gives back a point's text as a result nests it", "[driver]") {
  PointStore store;
  const json point = {{"index", 3},
                      {"metrics", {{"forks_per_s", {{"mean", 1234.5}, {"half_width", 0.25}}}}},
                      {"runs", json::array({{{"seed", 1}, {"name", "a,b:{c}"}}, json::object()})},
                      {"sets", json::array({"machine.ncpus=8"})}};
  const json failed = {{"index", 4}, {"failed", {{"status", 3}, {"message", "stopped"}}}};
  const std::size_t a = store.add(point), b = store.add(failed, failed.dump());
  std::string text;
  store.write(a, [&text](std::string_view s) { text += s; });
  CHECK(text == indented(point.dump(2), 4));
  CHECK(store.run_count(a) == 2);
  CHECK(store.point(a) == point);
  CHECK_FALSE(store.failed(a));
  CHECK(store.failed(b));
  CHECK(store.point(b) == failed);
  CHECK(store.run_count(b) == 0);
}

TEST_CASE("a sweep table keeps each point's digest, the point without its runs, until the result takes it",
          "[driver]") {
  const json point = {{"index", 0},
                      {"metrics", {{"forks_per_s", {{"mean", 1234.5}, {"half_width", 0.25}}}}},
                      {"runs", json::array({{{"seed", 1}}, {{"seed", 2}}})},
                      {"sets", json::array()}};
  json digest = point;
  digest.erase("runs");
  CHECK(forksim::point_digest(point) == digest);
  CHECK(forksim::point_digest(point).dump() == digest.dump());
  const json failed = {{"index", 1}, {"failed", {{"status", 3}, {"message", "stopped"}}}};
  CHECK(forksim::point_digest(failed) == failed);
  CHECK(forksim::point_digest(json(7)) == json(7));

  forksim::SweepTable table(2);
  table.put(1, failed);
  table.put(0, point);
  json again = failed;  // a retried failure, now finished: it replaces the first
  again["metrics"] = json::object();
  again.erase("failed");
  table.put(1, again);
  REQUIRE(table.count() == 2);
  CHECK(table.digests.at(*table.slots[0]) == digest);
  CHECK(table.digests.at(*table.slots[1]) == again);
  CHECK_FALSE(table.failed(1));
  CHECK(table.store.point(*table.slots[0]) == point);
}
