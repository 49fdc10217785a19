// What the experiment algorithms (sweeps, SLO search, sensitivity) ask of
// whoever runs simulations: a batch of points, each a list of overrides of
// the base scenario ("workload.parents=8", the --set syntax) and the seeds
// to run it at. The answer is one report per (point, seed), in the order
// asked, whatever order the runs finished in; the runner runs the whole
// batch at once over its processes, so an algorithm that can ask for many
// points together should.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace forksim {

struct PointRequest {
  std::vector<std::string> sets;  // "key=value", applied in order
  std::vector<uint64_t> seeds;
};

// result[i][j]: the report of batch[i] at batch[i].seeds[j]. Throws (the
// point's overrides named) when a point is invalid or a run fails; an
// interrupted batch throws too, after what finished is kept by the runner.
using PointRunner =
    std::function<std::vector<std::vector<nlohmann::json>>(const std::vector<PointRequest>&)>;

}  // namespace forksim
