#include "driver/pool_point_runner.hpp"

#include "driver/replicate.hpp"
#include "scenarios/json_text.hpp"

using nlohmann::json;

namespace forksim {

PointRunner pool_point_runner(json base_raw, ExperimentContext ctx,
                              std::function<void(const Scenario&)> check) {
  return [base_raw = std::move(base_raw), ctx = std::move(ctx),
          check = std::move(check)](const std::vector<PointRequest>& batch) {
    std::vector<PointSpec> specs;
    for (const PointRequest& req : batch) {
      std::string label = req.sets.empty() ? "the base scenario" : "point (";
      for (std::size_t i = 0; i < req.sets.size(); ++i) {
        if (i) label += ", ";
        label += printable(req.sets[i], 80);
      }
      if (!req.sets.empty()) label += ")";
      json raw = point_raw(base_raw, req.sets, label, check);
      specs.push_back({std::move(raw), label, req.seeds, static_cast<int>(req.seeds.size())});
    }
    std::vector<std::vector<json>> reports(batch.size());
    std::vector<PointSpec> to_run;
    std::vector<std::size_t> index;  // to_run's positions in the batch
    for (std::size_t i = 0; i < specs.size(); ++i)
      if (!specs[i].seeds.empty()) to_run.push_back(std::move(specs[i])), index.push_back(i);
    if (to_run.empty()) return reports;
    StopRule rule;
    Outcome o = run_points(to_run, rule, ctx);
    if (o.status != 0) throw ExperimentStopped(o.status, o.message);
    for (std::size_t k = 0; k < to_run.size(); ++k) reports[index[k]] = std::move(o.points[k].runs);
    return reports;
  };
}

}  // namespace forksim
