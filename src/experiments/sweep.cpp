// Planning and executing a sweep (sweep.hpp): the Cartesian product of the axes x repeat,
// seeded by the kind, executed longest first on parallel workers.
#include "sih/experiments/sweep.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <thread>
#include <unordered_set>

#include "sih/base/interrupt.hpp"
#include "sih/base/text.hpp"
#include "sih/base/version.hpp"
#include "sih/config/config_fields.hpp"
#include "sih/config/config_input.hpp"
#include "sih/config/dotted_key.hpp"
#include "sih/core/memory_model.hpp"
#include "sih/core/parallel.hpp"
#include "sih/experiments/init_from.hpp"
#include "sih/experiments/run.hpp"
#include "sih/formats/array_io.hpp"
#include "sih/rundir/output.hpp"

namespace fs = std::filesystem;

namespace sih {
namespace {

// Odometer over the axes' value indices, the last axis fastest.
bool next_index(std::vector<std::size_t>& index, const std::vector<SweepAxis>& axes) {
  for (std::size_t k = axes.size(); k-- > 0;) {
    if (++index[k] < axes[k].values.size()) return true;
    index[k] = 0;
  }
  return false;
}

// The number of runs, in long double so that a product of long axes cannot wrap around: it
// is compared with --max-runs before a single run is enumerated.
long double runs_in_grid(const std::vector<SweepAxis>& axes, long repeat) {
  long double n = static_cast<long double>(repeat);
  for (const auto& a : axes) n *= static_cast<long double>(a.values.size());
  return n;
}

std::string count_text(long double n) {
  return n < 1e18L ? fmt::format("{}", static_cast<long long>(n))
                   : fmt::format("{:.3g}", static_cast<double>(n));
}

// Sustained training-product rate per core measured on these machines (docs/PERFORMANCE.md):
// the float32 kernel runs at ~200 GFLOP/s per AVX-512 core, float64 at about half.
double flops_per_second_per_core(Precision p) { return p == Precision::kFloat64 ? 1e11 : 2e11; }

int cores_of(const Config& c) { return c.threads > 0 ? c.threads : available_cpus(); }

// Fixed costs that the flop count misses, measured on small sweeps here: starting a run and
// writing its folder (~5 ms), and a checkpoint's serial work and files (~2 ms).
double overhead_seconds(const Config& c) {
  return 0.005 + 0.002 * static_cast<double>(c.checkpoint_count());
}

}  // namespace

double estimated_training_flops(const Config& c) {
  // Forward X W^T and gradient G^T X: two products of nb x d x h per step.
  return static_cast<double>(c.total_steps()) * 4 * static_cast<double>(c.batch_size) *
         static_cast<double>(c.d) * static_cast<double>(c.h);
}

double estimated_run_flops(const Config& c) {
  const double n = static_cast<double>(c.n), d = static_cast<double>(c.d),
               h = static_cast<double>(c.h);
  double flops = estimated_training_flops(c);
  const double checkpoints = static_cast<double>(c.checkpoint_count());
  double per_checkpoint = 0;
  const double m = std::min(h, d), big = std::max(h, d);
  if (c.probe_weights) per_checkpoint += m * m * big + 4 * m * m * m;  // Gram, eigensolve
  if (c.probe_features || c.fix_last_layer) per_checkpoint += 2 * n * d * h + n * h * h;
  if (c.fix_last_layer) per_checkpoint += h * h * h / 3 + 2 * c.n_test * d * h;
  flops += checkpoints * per_checkpoint;
  return flops;
}

SweepPlan plan_sweep(const SweepKind& kind, const YAML::Node& root_in, const PlanLimits& limits) {
  if (limits.max_runs < 1)
    throw InputError("--max-runs: " + std::to_string(limits.max_runs) + ": must be >= 1");
  if (limits.max_runs > PlanLimits::kMaxRunsLimit)
    throw InputError("--max-runs: " + std::to_string(limits.max_runs) +
                     ": must be <= " + std::to_string(PlanLimits::kMaxRunsLimit) +
                     " (a plan holds every run in memory; split a larger study into several "
                     "sweeps)");
  SweepPlan plan;
  plan.kind = &kind;
  YAML::Node root = YAML::Clone(root_in);
  plan.axes = kind.axes(root);
  for (const auto& a : plan.axes) plan.swept.push_back(a.column);

  // The sweep-level scalars (seed, repeat, out_dir) are read through the config of the first
  // grid point.
  YAML::Node probe = YAML::Clone(root);
  for (const auto& a : plan.axes) {
    if (a.values[0].IsDefined()) yaml_set(probe, a.key, YAML::Clone(a.values[0]));
    for (const auto& [key, values] : a.tied) yaml_set(probe, key, YAML::Clone(values[0]));
  }
  const Config first = config_from_yaml(probe);
  const long repeat = first.repeat;
  const long double total = runs_in_grid(plan.axes, repeat);
  if (total > static_cast<long double>(limits.max_runs))
    throw InputError(fmt::format(
        "sweep: {} runs ({} grid points x repeat {}): more than --max-runs {} (raise it to run "
        "them all)",
        count_text(total), count_text(runs_in_grid(plan.axes, 1)), repeat, limits.max_runs));
  plan.runs.reserve(static_cast<std::size_t>(total));

  const bool repeat_inner = kind.repeat_innermost(plan.axes);
  // init_from is not sweepable, but bias and fix_last_layer (which choose its files) are: one
  // hash per distinct set of files, not one read of every file per run.
  std::map<std::string, std::string> init_hashes;
  // Each run starts from `probe`, whose axes already hold single values: cloning `root` would
  // copy every axis's whole list per run, quadratic in an axis's length.
  // /proc/meminfo is read once, not per run (it was a tenth of the planning time).
  const std::uint64_t available = available_memory_bytes();
  // What a grid point's runs share whatever their repeat: built once per point, since the
  // config's validation and resolution is most of a run's planning time.
  struct GridPoint {
    Config config;
    nlohmann::json coords, start_coords;
    std::string init_from_hash;
  };
  auto make_point = [&](const std::vector<std::size_t>& index) {
    YAML::Node node = YAML::Clone(probe);
    for (std::size_t k = 0; k < plan.axes.size(); ++k) {
      const YAML::Node& v = plan.axes[k].values[index[k]];
      if (v.IsDefined()) yaml_set(node, plan.axes[k].key, YAML::Clone(v));
      for (const auto& [key, values] : plan.axes[k].tied)
        yaml_set(node, key, YAML::Clone(values[index[k]]));
    }
    GridPoint p;
    std::vector<std::string> notes;
    p.config = config_from_yaml(node, &notes);
    // One line per distinct warning, not one per run.
    for (std::string& note : notes)
      if (std::find(plan.notes.begin(), plan.notes.end(), note) == plan.notes.end())
        plan.notes.push_back(std::move(note));
    // Refuse a sweep with an impossible run before any starts.
    if (available) check_memory_fits(p.config, available);
    const nlohmann::json resolved = config_to_json(p.config);
    p.coords = nlohmann::json::object();
    p.start_coords = nlohmann::json::object();
    for (const auto& a : plan.axes) {
      const nlohmann::json* value = json_find(resolved, a.key);
      p.coords[a.column] = value ? *value : nlohmann::json(nullptr);
      if (a.changes_start) p.start_coords[a.key] = p.coords[a.column];
    }
    if (!p.config.init_from.empty()) {
      std::string files;
      for (const auto& name : init_from_arrays(p.config)) files += name + ",";
      auto it = init_hashes.find(files);
      if (it == init_hashes.end()) it = init_hashes.emplace(files, init_from_hash(p.config)).first;
      p.init_from_hash = it->second;
    }
    return p;
  };
  // Points by their position in the grid (last axis fastest), kept only when repeated.
  std::vector<std::optional<GridPoint>> points(
      repeat > 1 ? static_cast<std::size_t>(runs_in_grid(plan.axes, 1)) : 0);
  auto add_run = [&](const std::vector<std::size_t>& index, long r) {
    throw_if_interrupted();  // a plan of many runs takes seconds: nothing is written yet
    std::optional<GridPoint> fresh;
    const GridPoint* point = nullptr;
    if (points.empty()) {
      fresh = make_point(index);
      point = &*fresh;
    } else {
      std::size_t at = 0;
      for (std::size_t k = 0; k < plan.axes.size(); ++k)
        at = at * plan.axes[k].values.size() + index[k];
      if (!points[at]) points[at] = make_point(index);
      point = &*points[at];
    }
    PlannedRun run;
    run.config = point->config;
    run.coords = point->coords;
    run.init_from_hash = point->init_from_hash;
    SeedInput in;
    in.sweep_seed = first.seed;
    in.axes = &plan.axes;
    in.index = index;
    in.start_coords = point->start_coords;
    in.repeat = r;
    run.seeds = kind.seeds(in);
    run.id = run_id(run.config, run.seeds, run.init_from_hash);
    run.repeat = r;
    run.start_group = start_group_key(run.config, run.seeds);
    plan.runs.push_back(std::move(run));
  };
  std::vector<std::size_t> index(plan.axes.size(), 0);
  if (repeat_inner) {
    do {
      for (long r = 0; r < repeat; ++r) add_run(index, r);
    } while (next_index(index, plan.axes));
  } else {
    for (long r = 0; r < repeat; ++r) {
      std::fill(index.begin(), index.end(), 0);
      do {
        add_run(index, r);
      } while (next_index(index, plan.axes));
    }
  }

  std::string ids;
  for (const auto& r : plan.runs) ids += r.id + ",";
  plan.id = stable_hash_hex(kind.name + ":" + ids);
  plan.dir = (fs::path(first.out_dir) / plan.id).string();
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& r : plan.runs) {
    nlohmann::json e = r.coords;
    e["id"] = r.id;
    e["repeat"] = r.repeat;
    runs.push_back(e);
  }
  nlohmann::json cfg = yaml_to_json(root_in);
  cfg.erase("threads");
  plan.config = {{"command", kind.name}, {"id", plan.id},       {"sih_version", kVersion},
                 {"config", cfg},        {"swept", plan.swept}, {"runs", runs}};
  return plan;
}

std::string describe_plan(const SweepPlan& plan, int jobs) {
  std::string out =
      fmt::format("sweep {} ({}): {} runs", plan.id, plan.kind->name, plan.runs.size());
  std::string shape;
  for (const auto& a : plan.axes)
    shape += fmt::format("{}{} ({})", shape.empty() ? " = " : " x ", a.column, a.values.size());
  const long repeat = plan.runs.empty() ? 1 : plan.runs[0].config.repeat;
  out += shape + fmt::format(" x repeat {}\n", repeat);
  for (const auto& a : plan.axes) {
    std::set<std::string> seen;
    std::string values;
    for (const auto& r : plan.runs) {
      const std::string v = r.coords[a.column].is_string() ? r.coords[a.column].get<std::string>()
                                                           : r.coords[a.column].dump();
      if (seen.insert(v).second) values += (values.empty() ? "" : ", ") + v;
    }
    out += fmt::format("axis {}: {}  [{}]\n", a.column, values,
                       a.changes_start ? "changes the start: a fresh teacher, student and data "
                                         "per value"
                                       : "same start for every value");
  }
  std::map<std::string, long> groups;
  for (const auto& r : plan.runs) ++groups[r.start_group];
  long most = 0, least = plan.runs.empty() ? 0 : static_cast<long>(plan.runs.size());
  for (const auto& [g, n] : groups) {
    most = std::max(most, n);
    least = std::min(least, n);
  }
  const bool shareable = !plan.runs.empty() && plan.runs[0].config.lightweight &&
                         !plan.runs[0].config.plot_overlaps && !plan.runs[0].config.save_weights;
  out += fmt::format(
      "starts: {} distinct (teacher, student, data) sets, {}-{} runs each; step-0 checkpoint "
      "{}\n",
      groups.size(), least, most,
      shareable ? "computed once per start" : "computed per run (needs lightweight)");
  double flops = 0, training = 0;
  double cores = plan.runs.empty() ? 1 : cores_of(plan.runs[0].config);
  double seconds = 0;
  std::vector<std::size_t> memory;
  for (const auto& r : plan.runs) {
    const double f = estimated_run_flops(r.config);
    flops += f;
    training += estimated_training_flops(r.config);
    seconds +=
        (f / flops_per_second_per_core(r.config.precision) + overhead_seconds(r.config)) / cores;
    memory.push_back(estimate_run_memory_bytes(r.config));
  }
  const int parallel = std::max(1, std::min<int>(jobs > 0 ? jobs : static_cast<int>(cores),
                                                 static_cast<int>(plan.runs.size())));
  std::sort(memory.rbegin(), memory.rend());
  double peak = 0;
  for (int j = 0; j < parallel && j < static_cast<int>(memory.size()); ++j) peak += memory[j];
  out += fmt::format(
      "estimated time: ~{} on {} cores ({:.3g} TFLOP: {:.3g} of training products, {:.3g} of "
      "checkpoints)\n",
      duration_text(seconds), cores, flops / 1e12, training / 1e12, (flops - training) / 1e12);
  out += fmt::format("peak memory: ~{:.0f} MB ({} runs in flight, up to {:.0f} MB each)\n",
                     peak / 1e6, parallel, memory.empty() ? 0.0 : memory[0] / 1e6);
  out += fmt::format("folder: {} (dry run: nothing written)\n", plan.dir);
  return out;
}

Shard parse_shard(const std::string& text) {
  Shard s;
  const auto slash = text.find('/');
  auto bad = [&] {
    return InputError(fmt::format("--shard: '{}': must be K/N with 1 <= K <= N (e.g. 2/4)", text));
  };
  if (slash == std::string::npos) throw bad();
  char* end = nullptr;
  const std::string k = text.substr(0, slash), n = text.substr(slash + 1);
  if (k.empty() || n.empty()) throw bad();
  s.index = std::strtol(k.c_str(), &end, 10);
  if (*end) throw bad();
  s.count = std::strtol(n.c_str(), &end, 10);
  if (*end) throw bad();
  if (s.count < 1 || s.index < 1 || s.index > s.count) throw bad();
  return s;
}

namespace {

// Plan checks: bad input is refused before anything is written: a run too big for the
// memory, and init_from arrays of the wrong shape (loaded once per distinct set of sizes).
void check_runs_can_start(const SweepPlan& plan) {
  std::unordered_set<std::string> checked;
  const std::uint64_t available = available_memory_bytes();
  for (const auto& run : plan.runs) {
    const Config& c = run.config;
    if (available) check_memory_fits(c, available);
    if (c.init_from.empty()) continue;
    const std::string key =
        fmt::format("{}|{}|{}|{}|{}|{}|{}", c.n, c.d, c.h, c.n_test, c.fix_last_layer, c.bias,
                    c.precision == Precision::kFloat32);
    if (!checked.insert(key).second) continue;
    if (c.precision == Precision::kFloat32)
      (void)load_problem<float>(c.init_from, c);
    else
      (void)load_problem<double>(c.init_from, c);
  }
}

// Sharding and resume: the shard's slice is taken in plan order (so every shard agrees on it
// whatever the schedule), complete runs are left out unless forced, and within the slice the
// longest runs start first.
std::vector<const PlannedRun*> runs_to_do(const SweepPlan& plan, const SweepOptions& opt,
                                          SweepOutcome& outcome) {
  std::vector<const PlannedRun*> pending;
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    if (static_cast<long>(i % static_cast<std::size_t>(opt.shard.count)) != opt.shard.index - 1)
      continue;
    ++outcome.in_shard;
    const std::string dir = (fs::path(plan.dir) / "runs" / plan.runs[i].id).string();
    if (!opt.force && run_folder_complete(dir)) {
      ++outcome.skipped;
      continue;
    }
    pending.push_back(&plan.runs[i]);
  }
  std::stable_sort(pending.begin(), pending.end(), [](const PlannedRun* a, const PlannedRun* b) {
    return estimated_run_flops(a->config) > estimated_run_flops(b->config);
  });
  return pending;
}

struct Parallelism {
  int jobs = 1;             // runs in flight
  int threads_per_run = 1;  // jobs x threads_per_run <= cores
};

// Admission: how many runs go in parallel, and the check that the `jobs` largest of them fit
// in memory together. Independent runs scale better than threads inside one run (its eigen
// solve and fits are serial), so runs are preferred to threads.
Parallelism admit(const SweepPlan& plan, const std::vector<const PlannedRun*>& pending,
                  int jobs_asked) {
  const int cores = plan.runs.empty() ? available_cpus() : cores_of(plan.runs[0].config);
  Parallelism p;
  // Never more workers than runs: an idle worker would only take cores from the others.
  const int runs = static_cast<int>(std::min<std::size_t>(pending.size(), kMaxThreads));
  p.jobs = std::max(1, std::min(jobs_asked > 0 ? jobs_asked : cores, runs));
  p.threads_per_run = std::max(1, cores / p.jobs);
  std::vector<const Config*> largest;
  for (const auto* r : pending) largest.push_back(&r->config);
  std::sort(largest.begin(), largest.end(), [](const Config* a, const Config* b) {
    return estimate_run_memory_bytes(*a) > estimate_run_memory_bytes(*b);
  });
  if (largest.size() > static_cast<std::size_t>(p.jobs)) largest.resize(p.jobs);
  check_memory_fits_together(largest, available_memory_bytes());
  return p;
}

// Progress on stderr: on a terminal a bar redrawn in place; in a log file, one line per 5% of
// the runs. Thread-safe.
class SweepProgress {
 public:
  SweepProgress(long total, bool quiet)
      : total_(total), quiet_(quiet), tty_(::isatty(STDERR_FILENO) != 0) {}
  void begin() {
    if (quiet_ || total_ == 0) return;
    std::lock_guard<std::mutex> lock(mu_);
    draw();
  }
  void run_done() {
    std::lock_guard<std::mutex> lock(mu_);
    const long d = ++done_;
    if (!quiet_ && (tty_ || d == total_ || (d * 20 / total_) != ((d - 1) * 20 / total_))) draw();
  }
  long done() const {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }

 private:
  void draw() const {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double eta = done_ > 0 ? elapsed / done_ * (total_ - done_) : NAN;
    const int width = 30;
    const int filled = total_ > 0 ? static_cast<int>(width * done_ / total_) : width;
    std::cerr << fmt::format("{}[sih] [{}{}] {}/{} runs, elapsed {}, left ~{}{}", tty_ ? "\r" : "",
                             std::string(filled, '#'), std::string(width - filled, '.'), done_,
                             total_, duration_text(elapsed), duration_text(eta),
                             tty_ && done_ < total_ ? "" : "\n")
              << std::flush;
  }
  const long total_;
  const bool quiet_, tty_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  mutable std::mutex mu_;
  long done_ = 0;
};

// What ends the workers early, and the failures of single runs (the other runs go on).
class SweepStop {
 public:
  explicit SweepStop(const std::atomic<int>* cancel) : cancel_(cancel) {}
  int cancelled() const { return cancel_ ? cancel_->load() : 0; }
  bool should_stop() const {
    std::lock_guard<std::mutex> lock(mu_);
    return cancelled() || interrupt_ || !output_error_.empty();
  }
  void interrupted(int signal) {
    std::lock_guard<std::mutex> lock(mu_);
    interrupt_ = signal;
  }
  // A full disk: every further run would fail the same way; no new run starts.
  void output_failed(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    if (output_error_.empty()) output_error_ = what;
  }
  void run_failed(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_.push_back(what);
  }
  // Throws what ended the sweep (interruption, output error, failed runs), in that order.
  void rethrow(std::size_t runs) const {
    if (interrupt_ || cancelled()) throw Interrupted(interrupt_ ? interrupt_ : cancelled());
    if (!output_error_.empty())
      throw OutputError(output_error_ + " (completed runs are kept; re-run to resume)");
    if (!failures_.empty()) {
      for (const auto& f : failures_) std::cerr << "[sih] error: " << f << '\n';
      throw std::runtime_error(fmt::format(
          "{} of {} runs failed (see above); completed runs are kept", failures_.size(), runs));
    }
  }

 private:
  const std::atomic<int>* cancel_;
  mutable std::mutex mu_;
  int interrupt_ = 0;
  std::string output_error_;
  std::vector<std::string> failures_;
};

RunRequest request_for(const SweepPlan& plan, const PlannedRun& run, const SweepOptions& opt,
                       int threads) {
  RunRequest req;
  req.config = run.config;
  req.config.threads = threads;
  req.seeds = run.seeds;
  req.init_from_hash = run.init_from_hash;
  req.out_parent = (fs::path(plan.dir) / "runs").string();
  req.force = opt.force;
  req.quiet = true;
  req.progress = false;
  req.cancel = opt.cancel;
  nlohmann::json extra = run.coords;
  extra["repeat"] = run.repeat;
  extra["sweep_id"] = plan.id;
  req.extra_config = {{"sweep", extra}};
  return req;
}

}  // namespace

SweepOutcome execute_sweep(const SweepPlan& plan, const SweepOptions& opt) {
  SweepOutcome outcome;
  check_runs_can_start(plan);
  const std::vector<const PlannedRun*> pending = runs_to_do(plan, opt, outcome);
  const Parallelism par = admit(plan, pending, opt.jobs);

  std::error_code ec;
  fs::create_directories(fs::path(plan.dir) / "runs", ec);
  if (ec)
    throw InputError(fmt::format("out_dir: {}: cannot create folder: {}", plan.dir, ec.message()));
  write_file_atomic((fs::path(plan.dir) / "config.json").string(), plan.config.dump(2) + "\n");
  if (!opt.quiet)
    std::cerr << fmt::format(
        "[sih] sweep {} ({}): {} runs, {} in this shard, {} already complete; "
        "{} parallel x {} thread(s)\n",
        plan.id, plan.kind->name, plan.runs.size(), outcome.in_shard, outcome.skipped, par.jobs,
        par.threads_per_run);

  // Runs from the same start share its step-0 checkpoint.
  StartCache start_cache;
  std::vector<std::string> keys(pending.size());
  for (std::size_t i = 0; i < pending.size(); ++i) {
    keys[i] = start_key(pending[i]->config, pending[i]->seeds);
    if (!keys[i].empty()) start_cache.expect(keys[i], 1);
  }

  std::atomic<std::size_t> next{0};
  std::atomic<long> diverged{0};
  SweepProgress progress(static_cast<long>(pending.size()), opt.quiet);
  SweepStop stop(opt.cancel);
  auto worker = [&] {
    while (!stop.should_stop()) {
      const std::size_t i = next.fetch_add(1);
      if (i >= pending.size()) return;
      const PlannedRun& run = *pending[i];
      RunRequest req = request_for(plan, run, opt, par.threads_per_run);
      req.start_cache = &start_cache;
      req.start_key = keys[i];
      struct Release {
        StartCache& cache;
        const std::string& key;
        ~Release() {
          if (!key.empty()) cache.release(key);
        }
      } release{start_cache, keys[i]};
      try {
        if (run_experiment(req).status == RunStatus::kDiverged) ++diverged;
      } catch (const Interrupted& e) {
        stop.interrupted(e.signal);
        return;
      } catch (const OutputError& e) {
        stop.output_failed(e.what());
        return;
      } catch (const std::exception& e) {
        stop.run_failed(fmt::format("run {} ({}): {}", run.id, run.coords.dump(), e.what()));
      }
      progress.run_done();
    }
  };
  progress.begin();
  std::vector<std::thread> pool;
  for (int j = 0; j < par.jobs; ++j) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  outcome.executed = progress.done();
  outcome.diverged = diverged.load();
  stop.rethrow(pending.size());
  return outcome;
}

}  // namespace sih
