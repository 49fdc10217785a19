// The scenario's `calibration` key: where its costs were measured, as
// `forksim calibrate` writes it into a fragment (host, kernel, date, the
// figures measured and the fit). Carried as given into the resolved
// scenario and every result's manifest, so that a result says whose costs
// it ran on. Checked for its shape only: an object whose `host`, `kernel`
// and `date` are strings, `figures` an array and `fit` an object when
// present, and no other keys than those calibrate writes.
#pragma once
#include <nlohmann/json.hpp>

namespace forksim {

// Throws ScenarioError naming "calibration.<key>" and why.
nlohmann::json parse_calibration(const nlohmann::json& j);

}  // namespace forksim
