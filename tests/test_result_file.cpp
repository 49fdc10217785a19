// Reading the results forksim wrote (cli/result_file.hpp): a sweep's
// points go to a point store as their own text, their runs never made a
// tree, so that a merge copies them.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli/result_file.hpp"
#include "driver/point_store.hpp"
#include "driver/result_text.hpp"
#include "driver/sweep.hpp"
#include "tests/support.hpp"

using forksim::indented;
using forksim::PointStore;
using nlohmann::json;

TEST_CASE("a sweep file's points go to the store as their text, and to the result without their runs",
          "[driver][merge]") {
  forksim::test::TempDir d;
  const json point = {{"index", 0},
                      {"metrics", {{"forks_per_s", {{"mean", 1.5}, {"n", 2}}}}},
                      {"runs", json::array({{{"seed", 1}, {"nested", {{"a", json::array({1, 2})}}}}, json(3)})}};
  const json failed = {{"index", 1}, {"failed", {{"status", 3}, {"message", "stopped"}}}};
  const json odd = {{"index", 2}, {"runs", {{"x", 1}}}, {"z", "after the runs"}};
  const json file = {{"complete", true}, {"points", json::array({point, 7, failed, odd})}, {"zzz", {{"k", 1}}}};
  const std::string text = file.dump(2);
  forksim::test::write_text(d / "s.json", text);
  PointStore store;
  std::vector<std::size_t> slots;
  const json r = forksim::read_sweep_file((d / "s.json").string(), store, slots);
  REQUIRE(slots.size() == 4);
  CHECK(slots[1] == forksim::kNoSlot);
  CHECK(r["points"][0] == forksim::point_digest(point));
  CHECK(r["points"][1] == 7);
  CHECK(r["points"][2] == failed);
  CHECK(r["points"][3] == forksim::point_digest(odd));
  CHECK(r["zzz"] == file["zzz"]);
  CHECK(store.run_count(slots[0]) == 2);
  CHECK(store.run_count(slots[2]) == 0);
  CHECK(store.run_count(slots[3]) == 0);  // "runs" not an array
  CHECK_FALSE(store.failed(slots[0]));
  CHECK(store.failed(slots[2]));
  for (std::size_t i : {0, 2, 3}) {
    const json& p = file["points"][i];
    CHECK(store.point(slots[i]) == p);
    std::string kept;
    store.write(slots[i], [&kept](std::string_view s) { kept += s; });
    CHECK(kept == indented(p.dump(2), 4));  // the file's own text of it
    CHECK(text.find(kept) != std::string::npos);
  }

  // A "runs" given twice in a point (hand-made): the last counts, as in a tree.
  PointStore again;
  std::vector<std::size_t> again_slots;
  forksim::test::write_text(d / "twice.json",
                            R"({"points": [{"index": 0, "runs": [1, 2, 3], "runs": [{"seed": 1}]}]})");
  const json t = forksim::read_sweep_file((d / "twice.json").string(), again, again_slots);
  REQUIRE(again_slots.size() == 1);
  CHECK(again.run_count(again_slots[0]) == 1);
  CHECK(t["points"][0] == json{{"index", 0}});
}
