// Whether a metric name (--metric, and the options that take one) names a
// figure of the run report: a dotted key of numeric_metrics, or a
// percentile the report left out for too few samples (listed in its
// object's "too_few_samples"). Names can only be checked against a report,
// so the driver checks them on the first one that comes back.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace forksim {

// "" when known, else "--metric: unknown metric 'x'; did you mean ...?"
// (`option` starts the message).
std::string unknown_metric(const nlohmann::json& report, const std::string& name,
                           const std::string& option);

}  // namespace forksim
