#include "sih/experiments/run.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <iostream>

#include "sih/base/version.hpp"
#include "sih/config/config_fields.hpp"
#include "sih/core/memory_model.hpp"
#include "sih/core/parallel.hpp"
#include "sih/experiments/init_from.hpp"
#include "sih/rundir/checkpoint_writer.hpp"
#include "sih/rundir/output.hpp"
#include "sih/rundir/run_folder.hpp"
#include "sih/train/trainer.hpp"

extern "C" void openblas_set_num_threads(int);

namespace fs = std::filesystem;

namespace sih {

std::string run_id(const Config& config, const std::optional<RunSeeds>& seeds,
                   const std::string& init_hash) {
  std::string id = config_id(config);
  if (seeds)
    id = stable_hash_hex(fmt::format("{}:{}:{}:{}:{}", id, seeds->teacher, seeds->student,
                                     seeds->data, seeds->shuffle));
  if (!init_hash.empty()) id = stable_hash_hex(fmt::format("{}:init_from:{}", id, init_hash));
  return id;
}

std::string run_id(const Config& config, const std::optional<RunSeeds>& seeds) {
  return run_id(config, seeds, init_from_hash(config));
}

void configure_threads(int threads) {
  // 0: the CPUs this process may use (affinity and cgroup quota), not the machine's cores.
  const int n = threads > 0 ? threads : available_cpus();
  // Per-thread OpenMP setting (Eigen follows omp_get_max_threads()), so parallel sweep runs
  // can each have their own thread count; Eigen::setNbThreads would be process-global.
  omp_set_num_threads(n);
  openblas_set_num_threads(1);
}

struct StartCache::Slot {
  std::promise<std::shared_ptr<const void>> problem_promise;
  std::shared_future<std::shared_ptr<const void>> problem = problem_promise.get_future().share();
  std::promise<StartCheckpoint> start_promise;
  std::shared_future<StartCheckpoint> start = start_promise.get_future().share();
};

void StartCache::expect(const std::string& key, long runs) {
  std::lock_guard<std::mutex> lock(mu_);
  slots_[key].second += runs;
}

std::shared_ptr<StartCache::Slot> StartCache::acquire(const std::string& key, bool& owner) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& entry = slots_[key];
  owner = !entry.first;
  if (owner) entry.first = std::make_shared<Slot>();
  return entry.first;
}

void StartCache::release(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = slots_.find(key);
  if (it != slots_.end() && --it->second.second <= 0) slots_.erase(it);
}

std::string start_group_key(const Config& config, const RunSeeds& seeds) {
  return stable_hash_hex(fmt::format("{}:{}:{}:{}", config_start_json(config).dump(), seeds.teacher,
                                     seeds.student, seeds.data));
}

std::string start_key(const Config& config, const RunSeeds& seeds) {
  if (!start_checkpoint_shareable(config) || !config.init_from.empty()) return {};
  return start_group_key(config, seeds);
}

namespace {

template <typename T>
std::shared_ptr<const Problem<T>> make_problem(const Config& c, const RunSeeds& seeds) {
  if (c.init_from.empty()) return std::make_shared<const Problem<T>>(generate_problem<T>(c, seeds));
  return std::make_shared<const Problem<T>>(load_problem<T>(c.init_from, c));
}

template <typename T>
TrainResult run_typed(const RunRequest& req, const RunSeeds& seeds, RunWriter& writer) {
  const Config& c = req.config;
  const auto t0 = std::chrono::steady_clock::now();
  TrainOptions options;
  options.cancel = req.cancel;
  std::shared_ptr<const Problem<T>> problem;
  std::shared_ptr<StartCache::Slot> slot;
  bool owner = false;
  StartCheckpoint shared_start;
  if (req.start_cache && !req.start_key.empty()) {
    slot = req.start_cache->acquire(req.start_key, owner);
    if (!owner) {
      try {
        problem = std::static_pointer_cast<const Problem<T>>(slot->problem.get());
        shared_start = slot->start.get();
        options.reuse_start = &shared_start;
      } catch (const std::exception&) {
        problem.reset();  // the owner failed: compute everything here
        options.reuse_start = nullptr;
      }
    }
  }
  // An owner that fails before publishing must not leave the other runs waiting forever.
  struct Unblock {
    StartCache::Slot* slot;
    bool problem_set = false, start_set = false;
    ~Unblock() {
      if (!slot) return;
      auto err = std::make_exception_ptr(std::runtime_error("the sharing run failed"));
      if (!problem_set) slot->problem_promise.set_exception(err);
      if (!start_set) slot->start_promise.set_exception(err);
    }
  } unblock{owner ? slot.get() : nullptr};
  if (!problem) problem = make_problem<T>(c, seeds);
  if (owner) {
    slot->problem_promise.set_value(problem);
    unblock.problem_set = true;
    options.publish_start = [&](const StartCheckpoint& s) {
      slot->start_promise.set_value(s);
      unblock.start_set = true;
    };
  }
  const double t_data =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const bool tty = ::isatty(STDERR_FILENO);
  if (req.progress && !req.quiet) {
    options.on_step = [tty](long step, long total, double loss) {
      if (tty)
        std::cerr << fmt::format("\r[sih] step {}/{} loss {:.6g}   ", step, total, loss)
                  << (step == total ? "\n" : "") << std::flush;
    };
  }
  RunFolderSink<T> sink(c, writer);
  TrainResult r = train<T>(c, *problem, seeds, sink, options);
  r.timings_s["data"] = t_data;
  return r;
}

}  // namespace

RunOutcome run_experiment(const RunRequest& req) {
  const Config& c = req.config;
  const auto start = std::chrono::steady_clock::now();
  RunOutcome out;
  const std::string init_hash =
      c.init_from.empty() || !req.init_from_hash.empty() ? req.init_from_hash : init_from_hash(c);
  out.id = run_id(c, req.seeds, init_hash);
  const std::string parent = req.out_parent.empty() ? c.out_dir : req.out_parent;
  out.dir = (fs::path(parent) / out.id).string();
  if (!req.force) {
    // A malformed summary.json is an InputError naming it: --force recomputes the run.
    if (const auto summary = read_run_summary(out.dir)) {
      out.skipped = true;
      out.summary = summary->json;
      out.status = summary->status;
      return out;
    }
  }
  check_memory_fits(c);
  configure_threads(c.threads);
  const RunSeeds seeds = req.seeds.value_or(RunSeeds::from_seed(c.seed));

  RunWriter writer(out.dir);
  writer.quiet = req.quiet;
  nlohmann::json cfg = config_to_json(c);
  cfg["sih_version"] = kVersion;
  cfg["id"] = out.id;
  cfg["seeds"] = {{"teacher", seeds.teacher},
                  {"student", seeds.student},
                  {"data", seeds.data},
                  {"shuffle", seeds.shuffle}};
  if (!init_hash.empty()) cfg["init_from_hash"] = init_hash;
  for (auto it = req.extra_config.begin(); it != req.extra_config.end(); ++it)
    cfg[it.key()] = it.value();
  writer.write_json("config.json", cfg);
  writer.log(fmt::format("sih {} run {}: n={} d={} h={} {} lr={} {} steps, {}", kVersion, out.id,
                         c.n, c.d, c.h, optimizer_name(c.optimizer), c.lr, c.total_steps(),
                         c.precision == Precision::kFloat32 ? "float32" : "float64"));

  TrainResult r = c.precision == Precision::kFloat32 ? run_typed<float>(req, seeds, writer)
                                                     : run_typed<double>(req, seeds, writer);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json summary;
  summary["id"] = out.id;
  summary["status"] = run_status_name(r.status);
  summary["diverged_step"] = r.diverged_step >= 0 ? nlohmann::json(r.diverged_step) : nullptr;
  if (!r.diverged_reason.empty()) summary["diverged_reason"] = r.diverged_reason;
  summary["steps"] = r.steps_done;
  summary["wall_time_s"] = wall;
  summary["timings_s"] = r.timings_s;
  summary["notes"] = r.notes;
  summary["checkpoints"] = writer.metrics().size();
  // The step "final" was measured at (the last step trained, or the last checkpoint before a
  // divergence).
  summary["final_step"] = writer.metrics().empty() ? nlohmann::json(nullptr)
                                                   : nlohmann::json(writer.metrics().back().step);
  summary["final"] = writer.metrics().empty() ? nlohmann::json::object()
                                              : metrics_to_json(writer.metrics().back());
  summary["sih_version"] = kVersion;
  writer.log(fmt::format("finished: status {} in {:.3f} s", run_status_name(r.status), wall));
  writer.commit(summary);
  out.status = r.status;
  out.summary = summary;
  return out;
}

}  // namespace sih
