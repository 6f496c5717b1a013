#include "sih/sweep.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "sih/array_io.hpp"
#include "sih/output.hpp"
#include "sih/rng.hpp"
#include "sih/run.hpp"
#include "sih/trainer.hpp"
#include "sih/version.hpp"

namespace fs = std::filesystem;

namespace sih {

const char* sweep_command(SweepKind kind) {
  return kind == SweepKind::kBulkLr ? "bulk-lr" : "bulk-losses";
}

namespace {

YAML::Node get_path(const YAML::Node& root, const std::string& dotted) {
  const auto dot = dotted.find('.');
  if (dot == std::string::npos) return root[dotted];
  const YAML::Node parent = root[dotted.substr(0, dot)];
  if (!parent.IsMap()) return YAML::Node();
  return parent[dotted.substr(dot + 1)];
}

void set_path(YAML::Node& root, const std::string& dotted, const YAML::Node& value) {
  const auto dot = dotted.find('.');
  if (dot == std::string::npos) {
    root[dotted] = value;
    return;
  }
  YAML::Node parent = root[dotted.substr(0, dot)];
  parent[dotted.substr(dot + 1)] = value;
}

std::string yaml_text(const YAML::Node& n) {
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

// A YAML scalar as JSON: integer, then floating point, then bool, else string.
nlohmann::json scalar_json(const YAML::Node& n) {
  const std::string s = n.Scalar();
  if (n.Tag() != "!" && !s.empty()) {  // unquoted scalars only are numbers/bools
    char* end = nullptr;
    const long long i = std::strtoll(s.c_str(), &end, 10);
    if (*end == '\0') return i;
    const double d = std::strtod(s.c_str(), &end);
    if (*end == '\0') return d;
    if (s == "true" || s == "True") return true;
    if (s == "false" || s == "False") return false;
  }
  return s;
}

nlohmann::json yaml_to_json(const YAML::Node& n) {
  if (n.IsMap()) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& kv : n) j[kv.first.Scalar()] = yaml_to_json(kv.second);
    return j;
  }
  if (n.IsSequence()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& item : n) j.push_back(yaml_to_json(item));
    return j;
  }
  if (n.IsScalar()) return scalar_json(n);
  return nullptr;
}

// The items of a key that a sweep iterates over: a list, or a scalar as a one-item list.
std::vector<YAML::Node> sweep_items(const YAML::Node& root, const std::string& key, bool scalar_ok,
                                    const char* command) {
  const YAML::Node node = get_path(root, key);
  std::vector<YAML::Node> items;
  if (!node.IsDefined() || node.IsNull()) {
    if (scalar_ok) return items;  // absent: the config default, one run
    throw InputError(fmt::format("{}: missing: sih {} needs a list of values here", key, command));
  }
  if (node.IsScalar()) {
    if (!scalar_ok)
      throw InputError(
          fmt::format("{}: {}: must be a list of values to sweep over (e.g. [{}, ...])", key,
                      yaml_text(node), node.Scalar()));
    items.push_back(node);
    return items;
  }
  if (!node.IsSequence())
    throw InputError(fmt::format("{}: {}: must be a list of values", key, yaml_text(node)));
  if (node.size() == 0) throw InputError(fmt::format("{}: []: must be a non-empty list", key));
  std::vector<nlohmann::json> seen;
  for (const auto& item : node) {
    if (!item.IsScalar())
      throw InputError(
          fmt::format("{}: {}: list items must be single values", key, yaml_text(node)));
    const nlohmann::json v = scalar_json(item);
    const auto same = [&](const nlohmann::json& s) {
      return s == v || (s.is_number() && v.is_number() && s.get<double>() == v.get<double>());
    };
    if (std::any_of(seen.begin(), seen.end(), same))
      throw InputError(fmt::format("{}: {}: duplicate value {} (each value is run once)", key,
                                   yaml_text(node), item.Scalar()));
    seen.push_back(v);
    items.push_back(item);
  }
  return items;
}

void reject_other_lists(const YAML::Node& root, const std::vector<std::string>& allowed,
                        const char* command) {
  for (const auto& key : list_keys(root)) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    throw InputError(
        fmt::format("{}: {}: sih {} only sweeps over {}; this key must be a single "
                    "value",
                    key, yaml_text(get_path(root, key)), command, fmt::join(allowed, ", ")));
  }
}

PlannedRun make_run(const YAML::Node& node, ConfigUse use, const RunSeeds& seeds, long repeat,
                    nlohmann::json coords) {
  PlannedRun r;
  r.config = config_from_yaml(node, use);
  check_memory_fits(r.config);  // refuse a sweep with an impossible run before any run starts
  r.seeds = seeds;
  r.id = run_id(r.config, seeds);
  r.repeat = repeat;
  r.coords = std::move(coords);
  return r;
}

}  // namespace

SweepPlan plan_sweep(SweepKind kind, const YAML::Node& root_in) {
  SweepPlan plan;
  plan.kind = kind;
  const char* command = sweep_command(kind);
  const YAML::Node root = YAML::Clone(root_in);
  std::uint64_t seed = 0;
  long repeat = 1;
  {
    // The sweep-level scalars (seed, repeat) are read through a run config of the first items.
    YAML::Node probe = YAML::Clone(root);
    for (const auto& key : list_keys(probe)) {
      const YAML::Node list = get_path(probe, key);
      if (list.size() == 0) throw InputError(fmt::format("{}: []: must be a non-empty list", key));
      set_path(probe, key, YAML::Clone(list[0]));
    }
    if (kind == SweepKind::kBulkLosses && probe["varying_param"].IsScalar() &&
        probe["varying_param"].Scalar() == "n" && get_path(probe, "n").IsScalar())
      probe["batch_size"] = get_path(probe, "n");
    const Config c = config_from_yaml(
        probe, kind == SweepKind::kBulkLr ? ConfigUse::kBulkLr : ConfigUse::kBulkLosses);
    seed = c.seed;
    repeat = c.repeat;
    plan.dir = c.out_dir;
  }

  if (kind == SweepKind::kBulkLr) {
    reject_other_lists(root, {"optimizer", "lr"}, command);
    const auto optimizers = sweep_items(root, "optimizer", true, command);
    const auto lrs = sweep_items(root, "lr", true, command);
    plan.swept = {"optimizer", "lr"};
    for (long r = 0; r < repeat; ++r) {
      // One teacher, student and data set per repeat, shared by every (optimizer, lr).
      const RunSeeds seeds = RunSeeds::from_seed(derive_seed(seed, "bulk-lr-repeat", r));
      for (const auto& opt :
           optimizers.empty() ? std::vector<YAML::Node>{YAML::Node()} : optimizers) {
        for (const auto& lr : lrs.empty() ? std::vector<YAML::Node>{YAML::Node()} : lrs) {
          YAML::Node node = YAML::Clone(root);
          if (opt.IsDefined() && !opt.IsNull()) node["optimizer"] = YAML::Clone(opt);
          if (lr.IsDefined() && !lr.IsNull()) node["lr"] = YAML::Clone(lr);
          PlannedRun run = make_run(node, ConfigUse::kBulkLr, seeds, r, {});
          run.coords = {{"optimizer", run.config.optimizer}, {"lr", run.config.lr}};
          plan.runs.push_back(std::move(run));
        }
      }
    }
  } else {
    const YAML::Node vp = root["varying_param"];
    static const std::vector<std::string> kAllowed = {"n", "label_noise_std", "reg_lambda",
                                                      "gamma"};
    if (!vp.IsDefined() || vp.IsNull())
      throw InputError(
          "varying_param: missing: sih bulk-losses needs varying_param (one of n, "
          "label_noise_std, reg_lambda, gamma)");
    if (!vp.IsScalar() ||
        std::find(kAllowed.begin(), kAllowed.end(), vp.Scalar()) == kAllowed.end())
      throw InputError(
          fmt::format("varying_param: {}: must be one of n, label_noise_std, "
                      "reg_lambda, gamma",
                      vp.IsScalar() ? "'" + vp.Scalar() + "'" : yaml_text(vp)));
    const std::string param = vp.Scalar();
    const std::string key = param == "gamma" ? "lr_scheduler_kwargs.gamma" : param;
    reject_other_lists(root, {key}, command);
    const YAML::Node values_node = get_path(root, key);
    if (values_node.IsDefined() && values_node.IsScalar())
      throw InputError(fmt::format("varying_param: '{}': {} must be a list of values, got {}",
                                   param, key, values_node.Scalar()));
    const auto values = sweep_items(root, key, false, command);
    if (param == "gamma" &&
        (!root["lr_scheduler_cls"].IsDefined() || root["lr_scheduler_cls"].IsNull()))
      throw InputError(
          "varying_param: 'gamma': needs lr_scheduler_cls: StepLR (gamma is its decay factor)");
    plan.swept = {param};
    const bool fresh_per_value = param == "n" || param == "label_noise_std";
    auto make = [&](std::size_t v, long r, const RunSeeds& seeds) {
      YAML::Node node = YAML::Clone(root);
      set_path(node, key, YAML::Clone(values[v]));
      if (param == "n") node["batch_size"] = YAML::Clone(values[v]);  // full batch follows n
      PlannedRun run = make_run(node, ConfigUse::kBulkLosses, seeds, r, {});
      const Config& c = run.config;
      run.coords = {{param, param == "n"                 ? nlohmann::json(c.n)
                            : param == "label_noise_std" ? nlohmann::json(c.label_noise_std)
                            : param == "reg_lambda"      ? nlohmann::json(c.reg_lambda)
                                                         : nlohmann::json(c.gamma)}};
      plan.runs.push_back(std::move(run));
    };
    if (fresh_per_value) {
      // Per value a fresh teacher and student; per repeat a fresh data set.
      for (std::size_t v = 0; v < values.size(); ++v) {
        const std::uint64_t value_seed = derive_seed(seed, "bulk-losses-value", v);
        for (long r = 0; r < repeat; ++r) {
          RunSeeds s = RunSeeds::from_seed(value_seed);
          s.data = derive_seed(value_seed, "data-repeat", static_cast<std::uint64_t>(r));
          s.shuffle = derive_seed(value_seed, "shuffle-repeat", static_cast<std::uint64_t>(r));
          make(v, r, s);
        }
      }
    } else {
      // Per repeat one teacher, student and data set shared by every value.
      for (long r = 0; r < repeat; ++r) {
        const RunSeeds s = RunSeeds::from_seed(derive_seed(seed, "bulk-losses-repeat", r));
        for (std::size_t v = 0; v < values.size(); ++v) make(v, r, s);
      }
    }
  }

  std::string ids;
  for (const auto& r : plan.runs) ids += r.id + ",";
  plan.id = stable_hash_hex(std::string(command) + ":" + ids);
  plan.dir = (fs::path(plan.dir) / plan.id).string();
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& r : plan.runs) {
    nlohmann::json e = r.coords;
    e["id"] = r.id;
    e["repeat"] = r.repeat;
    runs.push_back(e);
  }
  nlohmann::json cfg = yaml_to_json(root);
  cfg.erase("threads");
  plan.config = {{"command", command}, {"id", plan.id},       {"sih_version", kVersion},
                 {"config", cfg},      {"swept", plan.swept}, {"runs", runs}};
  return plan;
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

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = std::lround(s);
  if (t >= 3600) return fmt::format("{}h{:02d}m", t / 3600, (t % 3600) / 60);
  return fmt::format("{}m{:02d}s", t / 60, t % 60);
}

}  // namespace

SweepOutcome execute_sweep(const SweepPlan& plan, const SweepOptions& opt) {
  SweepOutcome outcome;
  // Bad input is refused before anything is written: a run too big for the memory, and
  // init_from arrays of the wrong shape (loaded once per distinct set of sizes).
  std::vector<std::string> checked;
  for (const auto& run : plan.runs) {
    const Config& c = run.config;
    check_memory_fits(c);
    if (c.init_from.empty()) continue;
    const std::string key = fmt::format("{}|{}|{}|{}|{}|{}", c.n, c.d, c.h, c.n_test,
                                        c.fix_last_layer, c.precision == Precision::kFloat32);
    if (std::find(checked.begin(), checked.end(), key) != checked.end()) continue;
    checked.push_back(key);
    if (c.precision == Precision::kFloat32)
      (void)load_problem<float>(c.init_from, c);
    else
      (void)load_problem<double>(c.init_from, c);
  }
  std::error_code ec;
  fs::create_directories(fs::path(plan.dir) / "runs", ec);
  if (ec)
    throw InputError(fmt::format("out_dir: {}: cannot create folder: {}", plan.dir, ec.message()));
  write_file_atomic((fs::path(plan.dir) / "config.json").string(), plan.config.dump(2) + "\n");

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
  const int cores = plan.runs.empty() || plan.runs[0].config.threads <= 0
                        ? omp_get_num_procs()
                        : plan.runs[0].config.threads;
  // Parallel runs x threads per run <= cores: independent runs scale better than threads
  // inside one run (its eigen solve and fits are serial), so prefer runs.
  int jobs =
      opt.jobs > 0 ? opt.jobs : std::max(1, std::min<int>(cores, static_cast<int>(pending.size())));
  const int threads_per_run = std::max(1, cores / jobs);
  if (!opt.quiet)
    std::cerr << fmt::format(
        "[sih] sweep {} ({}): {} runs, {} in this shard, {} already complete; "
        "{} parallel x {} thread(s)\n",
        plan.id, sweep_command(plan.kind), plan.runs.size(), outcome.in_shard, outcome.skipped,
        jobs, threads_per_run);

  StartCache start_cache;
  std::vector<std::string> keys(pending.size());
  for (std::size_t i = 0; i < pending.size(); ++i) {
    keys[i] = start_key(pending[i]->config, pending[i]->seeds);
    if (!keys[i].empty()) start_cache.expect(keys[i], 1);
  }

  std::atomic<std::size_t> next{0};
  std::atomic<long> done{0}, diverged{0};
  std::mutex mu;
  std::vector<std::string> failures;
  int interrupt = 0;
  std::string output_error;  // the first OutputError of a run
  const auto start = std::chrono::steady_clock::now();
  const bool tty = ::isatty(STDERR_FILENO);
  auto report = [&] {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const long d = done.load();
    const long total = static_cast<long>(pending.size());
    const double eta = d > 0 ? elapsed / d * (total - d) : NAN;
    const int width = 30;
    const int filled = total > 0 ? static_cast<int>(width * d / total) : width;
    std::cerr << fmt::format("{}[sih] [{}{}] {}/{} runs, elapsed {}, left ~{}{}", tty ? "\r" : "",
                             std::string(filled, '#'), std::string(width - filled, '.'), d, total,
                             format_duration(elapsed), format_duration(eta),
                             tty && d < total ? "" : "\n")
              << std::flush;
  };
  auto worker = [&] {
    for (;;) {
      if (g_interrupt_signal.load()) return;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!output_error.empty()) return;
      }
      const std::size_t i = next.fetch_add(1);
      if (i >= pending.size()) return;
      const PlannedRun& run = *pending[i];
      RunRequest req;
      req.config = run.config;
      req.config.threads = threads_per_run;
      req.seeds = run.seeds;
      req.out_parent = (fs::path(plan.dir) / "runs").string();
      req.force = opt.force;
      req.quiet = true;
      req.progress = false;
      nlohmann::json extra = run.coords;
      extra["repeat"] = run.repeat;
      extra["sweep_id"] = plan.id;
      req.extra_config = {{"sweep", extra}};
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
        const RunOutcome out = run_experiment(req);
        if (out.status == "diverged") ++diverged;
      } catch (const Interrupted& e) {
        std::lock_guard<std::mutex> lock(mu);
        interrupt = e.signal;
        return;
      } catch (const OutputError& e) {
        // Disk full: every further run would fail the same way; stop taking new ones.
        std::lock_guard<std::mutex> lock(mu);
        if (output_error.empty()) output_error = e.what();
        return;
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mu);
        failures.push_back(fmt::format("run {} ({}): {}", run.id, run.coords.dump(), e.what()));
      }
      const long d = ++done;
      const long total = static_cast<long>(pending.size());
      // On a terminal the bar redraws in place; in a log file, one line per 5% of the runs.
      if (!opt.quiet && (tty || d == total || (d * 20 / total) != ((d - 1) * 20 / total))) {
        std::lock_guard<std::mutex> lock(mu);
        report();
      }
    }
  };
  if (!opt.quiet && !pending.empty()) report();
  std::vector<std::thread> pool;
  for (int j = 0; j < jobs; ++j) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  outcome.executed = done.load();
  outcome.diverged = diverged.load();
  if (interrupt || g_interrupt_signal.load())
    throw Interrupted(interrupt ? interrupt : g_interrupt_signal.load());
  if (!output_error.empty())
    throw OutputError(output_error + " (completed runs are kept; re-run to resume)");
  if (!failures.empty()) {
    for (const auto& f : failures) std::cerr << "[sih] error: " << f << '\n';
    throw std::runtime_error(
        fmt::format("{} of {} runs failed (see above); completed runs are kept", failures.size(),
                    pending.size()));
  }
  return outcome;
}

namespace {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int col(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  }
};

CsvTable read_csv_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  CsvTable t;
  std::string line;
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    for (;;) {
      const auto c = s.find(',', pos);
      out.push_back(s.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
      if (c == std::string::npos) break;
      pos = c + 1;
    }
    return out;
  };
  if (std::getline(in, line)) t.header = split(line);
  while (std::getline(in, line))
    if (!line.empty()) t.rows.push_back(split(line));
  return t;
}

// Mean and population standard deviation (ddof = 0, as np.std in the reference's plots).
std::pair<double, double> mean_std(const std::vector<double>& v) {
  if (v.empty()) return {NAN, NAN};
  double m = 0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return {m, std::sqrt(s / static_cast<double>(v.size()))};
}

std::string cell(double v) { return std::isfinite(v) ? format_number(v) : std::string(); }

std::string coord_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();  // shortest round-trip form: 0.1, not 0.10000000000000001
}

}  // namespace

MergeOutcome merge_sweep(const std::string& sweep_dir) {
  const fs::path root(sweep_dir);
  const fs::path cfg_path = root / "config.json";
  if (!fs::is_regular_file(cfg_path))
    throw InputError(fmt::format("{}: not a sih sweep folder (no config.json)", sweep_dir));
  nlohmann::json cfg;
  try {
    std::ifstream in(cfg_path);
    cfg = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw InputError(fmt::format("{}: unreadable JSON: {}", cfg_path.string(), e.what()));
  }
  if (!cfg.contains("runs") || !cfg.contains("swept") || !cfg.contains("command"))
    throw InputError(
        fmt::format("{}: not a sweep config (no runs/swept/command)", cfg_path.string()));
  const bool bulk_lr = cfg["command"] == "bulk-lr";
  const auto swept = cfg["swept"].get<std::vector<std::string>>();
  const auto& metric_cols = metrics_columns();

  MergeOutcome m;
  std::string runs_csv = "run_id,repeat";
  for (const auto& s : swept) runs_csv += "," + s;
  runs_csv += ",status,wall_time_s";
  // The final checkpoint's step and lr are prefixed: `lr` may also be a swept column.
  for (const auto& c : metric_cols) runs_csv += "," + (c == "step" || c == "lr" ? "final_" + c : c);
  runs_csv += '\n';

  // Group key -> per-run data, in plan order.
  std::vector<std::string> group_order;
  std::map<std::string, nlohmann::json> group_coords;
  std::map<std::string, long> group_total;
  std::map<std::string, std::vector<nlohmann::json>> group_final;  // bulk-lr
  std::map<std::string, std::vector<CsvTable>> group_tables;       // bulk-losses

  for (const auto& run : cfg["runs"]) {
    ++m.total;
    std::string key;
    for (const auto& s : swept) key += coord_text(run[s]) + "|";
    if (!group_total.count(key)) {
      group_order.push_back(key);
      nlohmann::json c;
      for (const auto& s : swept) c[s] = run[s];
      group_coords[key] = c;
    }
    ++group_total[key];
    const fs::path dir = root / "runs" / run["id"].get<std::string>();
    if (!run_folder_complete(dir.string())) {
      ++m.missing;
      continue;
    }
    ++m.complete;
    nlohmann::json summary;
    try {
      std::ifstream in(dir / "summary.json");
      summary = nlohmann::json::parse(in);
    } catch (const std::exception&) {
      ++m.missing;
      --m.complete;
      continue;
    }
    const std::string status = summary.value("status", "ok");
    if (status != "ok") ++m.diverged;
    runs_csv += run["id"].get<std::string>() + "," + std::to_string(run["repeat"].get<long>());
    for (const auto& s : swept) runs_csv += "," + coord_text(run[s]);
    runs_csv += "," + status + "," + cell(summary.value("wall_time_s", NAN));
    const nlohmann::json fin = summary.value("final", nlohmann::json::object());
    for (const auto& c : metric_cols)
      runs_csv += "," + (fin.contains(c) ? cell(fin[c].get<double>()) : std::string());
    runs_csv += '\n';
    if (status != "ok") continue;  // diverged runs are listed, not aggregated
    if (bulk_lr)
      group_final[key].push_back(fin);
    else
      group_tables[key].push_back(read_csv_table((dir / "metrics.csv").string()));
  }

  std::string agg;
  if (bulk_lr) {
    const std::vector<std::string> ms = {"train_loss",       "val_loss",   "kta",
                                         "w_beta_alignment", "alpha_hill", "alpha_mle_ks"};
    agg = "optimizer,lr,runs_used,runs_total";
    for (const auto& c : ms) agg += "," + c + "_mean," + c + "_std";
    agg += '\n';
    for (const auto& key : group_order) {
      const auto& runs = group_final[key];
      agg += coord_text(group_coords[key]["optimizer"]) + "," +
             coord_text(group_coords[key]["lr"]) + "," + std::to_string(runs.size()) + "," +
             std::to_string(group_total[key]);
      for (const auto& c : ms) {
        std::vector<double> v;
        for (const auto& f : runs)
          if (f.contains(c)) v.push_back(f[c].get<double>());
        const auto [mean, sd] = mean_std(v);
        agg += "," + cell(mean) + "," + cell(sd);
      }
      agg += '\n';
    }
  } else {
    const std::string param = swept.at(0);
    agg = param +
          ",step,runs_used,runs_total,train_loss_mean,train_loss_std,val_loss_mean,"
          "val_loss_std\n";
    for (const auto& key : group_order) {
      const auto& tables = group_tables[key];
      std::map<long, std::pair<std::vector<double>, std::vector<double>>> by_step;
      for (const auto& t : tables) {
        const int cs = t.col("step"), ct = t.col("train_loss"), cv = t.col("val_loss");
        for (const auto& r : t.rows) {
          auto get = [&](int c) {
            return c >= 0 && c < static_cast<int>(r.size()) && !r[c].empty() ? std::stod(r[c])
                                                                             : NAN;
          };
          const long step = std::stol(r.at(cs));
          auto& [tr, va] = by_step[step];
          if (std::isfinite(get(ct))) tr.push_back(get(ct));
          if (std::isfinite(get(cv))) va.push_back(get(cv));
        }
      }
      for (const auto& [step, tv] : by_step) {
        const auto [tm, ts] = mean_std(tv.first);
        const auto [vm, vs] = mean_std(tv.second);
        agg += fmt::format("{},{},{},{},{},{},{},{}\n", coord_text(group_coords[key][param]), step,
                           tables.size(), group_total[key], cell(tm), cell(ts), cell(vm), cell(vs));
      }
    }
  }
  write_file_atomic((root / "runs.csv").string(), runs_csv);
  write_file_atomic((root / "aggregate.csv").string(), agg);
  return m;
}

}  // namespace sih
