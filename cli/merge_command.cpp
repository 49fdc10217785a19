#include "cli/merge_command.hpp"

#include <boost/program_options.hpp>
#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cli/experiment_summary.hpp"
#include "cli/manifest.hpp"
#include "cli/options.hpp"
#include "cli/output_file.hpp"
#include "cli/result_file.hpp"
#include "driver/capacity.hpp"
#include "driver/child_pool.hpp"
#include "driver/merge.hpp"
#include "driver/result_text.hpp"
#include "driver/sweep.hpp"
#include "scenarios/json_text.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using nlohmann::json;

namespace forksim {
namespace {

// The merge runs nothing: it has the points' results, not their scenarios
// before resolution, so the SLO search (more points) is refused at
// `sweep --shard` rather than attempted here.
std::vector<std::vector<json>> no_runs(const std::vector<PointRequest>&) {
  throw std::logic_error("forksim merge runs no simulation");
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return a == b || fs::equivalent(a, b, ec);
}

// OUT given where a shard belongs (a forgotten OUT): never written over.
void check_out(const std::string& path, const std::vector<std::string>& shards) {
  for (const std::string& s : shards)
    if (same_file(path, s))
      throw Usage("OUT " + printable(path, 200) + " is also given as a shard; the first argument is the "
                  "merged result's file: forksim merge OUT.json SHARD...");
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return;
  try {
    if (read_result_outline(path).contains("shard"))
      throw Usage("OUT " + printable(path, 200) + " is a shard of a sweep, not written over; the first "
                  "argument is the merged result's file: forksim merge OUT.json SHARD...");
  } catch (const ResultFileError&) {  // not a result: an ordinary file to replace
  }
}

}  // namespace

int cmd_merge(const std::vector<std::string>& args, const std::vector<std::string>& command_line,
              std::ostream& out, std::ostream& err) {
  po::options_description d("forksim merge OUT.json SHARD.json... [options]");
  d.add_options()
      ("files", po::value<std::vector<std::string>>(),
       "OUT.json, where the merged result goes (- for standard output), then every shard's "
       "result (forksim sweep --shard I/N -o SHARD.json), in any order")
      ("knee-metric", po::value<std::string>()->default_value("throughput.forks_per_s"),
       "the metric whose knee against the varied key is found, and that the USL is fitted to "
       "when the key is machine.ncpus (as forksim sweep --knee-metric)")
      ("csv", po::value<std::string>(),
       "also write the long-form table: the varied keys, metric, mean, half_width, n")
      ("quiet,q", "print no summary")
      ("help,h", "this help");
  po::variables_map vm;
  std::vector<Edit> edits;
  if (!parse(args, d, "files", out, vm, edits,
             "\nThe shards must be every slice of one sweep: the same definition (varied keys\n"
             "and values, replications, precision, base scenario and seed, forksim version\n"
             "and commit), each shard once, each point in one shard. The result is the one\n"
             "the whole sweep gives: its points in index order, the knee and the USL found\n"
             "here; its manifest has this command line and each shard's (\"shards\").\n"
             "Exit 2 and nothing written when the shards do not make one whole sweep; 3\n"
             "when it has failed points. A sweep with --slo cannot be sharded.\n",
             -1))
    return 0;
  if (!edits.empty()) throw Usage("takes no --set or --unset");
  const auto files = vm.count("files") ? vm["files"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.size() < 2) throw Usage("needs OUT.json and at least one shard: forksim merge OUT.json SHARD...");
  const std::vector<std::string> names(files.begin() + 1, files.end());
  check_out(files[0], names);
  CapacityOptions capacity;
  capacity.metric = vm["knee-metric"].as<std::string>();

  // The shards' points go to the store as they are read: the runs of a
  // large sweep are never all in memory (driver/point_store.hpp). The
  // shards are read side by side, one a CPU (parsing is most of a merge:
  // 2.6-3.0 s of 5,000 runs' 174 MB on one core); a shard that cannot be
  // read is reported as one read alone would be, the first in the order given.
  PointStore store;
  std::vector<ShardFile> shards;
  for (const std::string& f : names) shards.push_back({printable(f, 200), json(), {}});
  std::vector<std::exception_ptr> failed(names.size());
  std::atomic<std::size_t> next{0};
  auto reader = [&] {
    for (std::size_t i; (i = next++) < names.size();) {
      try {
        shards[i].result = read_sweep_file(names[i], store, shards[i].slots);
      } catch (...) {
        failed[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> readers;
  const std::size_t nthreads = std::min<std::size_t>(static_cast<std::size_t>(available_cpus()), names.size());
  for (std::size_t k = 1; k < nthreads; ++k) readers.emplace_back(reader);
  reader();
  for (std::thread& t : readers) t.join();
  for (const std::exception_ptr& e : failed)
    if (e) std::rethrow_exception(e);
  Merged m;
  try {
    m = merge_shards(shards, store);
  } catch (const MergeError& e) {
    throw Usage(e.what());
  }
  json& result = m.result;
  result["manifest"] =
      make_manifest(result["scenario"], result["sweep"]["seeds"].get<std::vector<uint64_t>>(), command_line);
  result["manifest"]["shards"] = m.shards;
  add_capacity_answers(result, no_runs, capacity);  // an unknown --knee-metric: ScenarioError, exit 2

  OutputFile output(files[0]);
  std::optional<OutputFile> csv;
  if (vm.count("csv")) csv.emplace(vm["csv"].as<std::string>());
  output.write([&](const TextSink& sink) { write_result(result, store, m.slots, sink); }, out);
  if (csv) csv->write(sweep_csv(result), out);
  if (!vm.count("quiet")) print_sweep_summary(output.is_stdout() ? err : out, result);
  if (result["complete"] == false) {
    err << "forksim merge: the sweep is incomplete: its failed points are "
        << result.value("failed_points", json::array()).dump() << "\n";
    return 3;
  }
  return 0;
}

}  // namespace forksim
