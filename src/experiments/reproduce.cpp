#include "sih/experiments/reproduce.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "sih/base/resource_dir.hpp"
#include "sih/base/types.hpp"
#include "sih/config/config_input.hpp"
#include "sih/config/dotted_key.hpp"
#include "sih/core/metrics_schema.hpp"
#include "sih/experiments/run.hpp"
#include "sih/experiments/sweep.hpp"
#include "sih/formats/array_io.hpp"
#include "sih/rundir/output.hpp"
#include "sih/rundir/run_folder.hpp"

namespace sih {

namespace fs = std::filesystem;

namespace {

std::string text_of(const YAML::Node& section, const char* key, const std::string& origin,
                    bool required) {
  const YAML::Node v = section[key];
  if (!v.IsDefined() || v.IsNull()) {
    if (required)
      throw InputError(
          fmt::format("{}: reproduce.{}: missing: every paper experiment needs it", origin, key));
    return "";
  }
  if (!v.IsScalar())
    throw InputError(fmt::format("{}: reproduce.{}: {}: must be text", origin, key, yaml_text(v)));
  return v.Scalar();
}

// "03_bulk_lr" -> "bulk_lr": the ordering prefix is not part of the name.
std::string experiment_name(const fs::path& file) {
  const std::string stem = file.stem().string();
  std::size_t i = 0;
  while (i < stem.size() && std::isdigit(static_cast<unsigned char>(stem[i]))) ++i;
  if (i > 0 && i < stem.size() && stem[i] == '_') return stem.substr(i + 1);
  return stem;
}

// reproduce.thresholds: [{value: metric@step, along: AXIS, level: X, fit: AXIS, predicted: ..,
// repeats: true|false}]
std::vector<ThresholdSpec> parse_thresholds(const YAML::Node& node, const std::string& origin) {
  std::vector<ThresholdSpec> specs;
  if (!node.IsDefined() || node.IsNull()) return specs;
  if (!node.IsSequence())
    throw InputError(
        fmt::format("{}: reproduce.thresholds: {}: must be a list", origin, yaml_text(node)));
  std::size_t index = 0;
  for (const auto& item : node) {
    const std::string at = fmt::format("{}: reproduce.thresholds[{}]", origin, index++);
    if (!item.IsMap())
      throw InputError(
          fmt::format("{}: {}: must be a mapping (value, along, level, fit, "
                      "predicted, repeats)",
                      at, yaml_text(item)));
    for (const auto& kv : item) {
      static const std::vector<std::string> kKeys = {"value", "along",     "level",
                                                     "fit",   "predicted", "repeats"};
      if (std::find(kKeys.begin(), kKeys.end(), kv.first.Scalar()) == kKeys.end())
        throw InputError(
            fmt::format("{}: unknown key '{}' (known: value, along, level, fit, predicted, "
                        "repeats)",
                        at, kv.first.Scalar()));
    }
    ThresholdSpec t;
    const std::string value = text_of(item, "value", at, true);
    const auto sep = value.find('@');
    char* end = nullptr;
    const std::string step = sep == std::string::npos ? "" : value.substr(sep + 1);
    t.step = std::strtol(step.c_str(), &end, 10);
    t.metric = value.substr(0, sep);
    if (sep == std::string::npos || step.empty() || *end != '\0' || t.step < 0 ||
        !find_metric(t.metric))
      throw InputError(fmt::format(
          "{}.value: '{}': must be metric@step (a column of metrics.csv and a step >= 0)", at,
          value));
    t.along = text_of(item, "along", at, true);
    const std::string level = text_of(item, "level", at, true);
    t.level = std::strtod(level.c_str(), &end);
    if (end == level.c_str() || *end != '\0' || !std::isfinite(t.level))
      throw InputError(fmt::format("{}.level: '{}': must be a number", at, level));
    t.fit = text_of(item, "fit", at, false);
    t.predicted = text_of(item, "predicted", at, false);
    const std::string repeats = text_of(item, "repeats", at, false);
    if (!repeats.empty() && repeats != "true" && repeats != "false")
      throw InputError(fmt::format("{}.repeats: '{}': must be true or false", at, repeats));
    t.over_repeats = repeats == "true";
    if (t.over_repeats && t.fit.empty())
      throw InputError(fmt::format("{}.repeats: true needs a fit axis (fit: AXIS)", at));
    specs.push_back(std::move(t));
  }
  return specs;
}

PaperExperiment load_experiment(const fs::path& file, bool quick, const std::string& out_dir) {
  const std::string origin = file.string();
  PaperExperiment e;
  e.file = origin;
  e.name = experiment_name(file);
  YAML::Node root = load_yaml_file(origin);
  const YAML::Node section = take_reproduce_section(root);
  if (!section.IsDefined() || section.IsNull())
    throw InputError(origin +
                     ": reproduce: missing: a paper experiment states its title, "
                     "about, kind and claims there");
  if (!section.IsMap())
    throw InputError(
        fmt::format("{}: reproduce: {}: must be a mapping", origin, yaml_text(section)));
  static const std::vector<std::string> kKeys = {"title", "about",   "paper",  "kind",
                                                 "quick", "figures", "claims", "thresholds"};
  for (const auto& kv : section)
    if (std::find(kKeys.begin(), kKeys.end(), kv.first.Scalar()) == kKeys.end())
      throw InputError(fmt::format(
          "{}: reproduce.{}: unknown key (known: title, about, paper, kind, quick, figures, "
          "claims, thresholds)",
          origin, kv.first.Scalar()));
  e.title = text_of(section, "title", origin, true);
  e.about = text_of(section, "about", origin, true);
  e.paper = text_of(section, "paper", origin, false);
  e.kind = text_of(section, "kind", origin, false);
  if (e.kind.empty()) e.kind = "run";
  if (e.kind != "run") sweep_kind(e.kind);  // InputError naming the known kinds
  const YAML::Node figures = section["figures"];
  if (figures.IsDefined() && !figures.IsNull()) {
    if (!figures.IsSequence())
      throw InputError(fmt::format("{}: reproduce.figures: {}: must be a list of plots/ files",
                                   origin, yaml_text(figures)));
    for (const auto& f : figures) e.figures.push_back(f.Scalar());
  }
  e.claims = parse_claims(section["claims"], origin);
  e.thresholds = parse_thresholds(section["thresholds"], origin);
  const YAML::Node quick_overrides = section["quick"];
  if (quick && quick_overrides.IsDefined() && !quick_overrides.IsNull()) {
    if (!quick_overrides.IsMap())
      throw InputError(fmt::format("{}: reproduce.quick: {}: must be a mapping of overrides",
                                   origin, yaml_text(quick_overrides)));
    for (const auto& kv : quick_overrides) yaml_set(root, kv.first.Scalar(), kv.second);
  }
  yaml_set(root, "out_dir", YAML::Node((fs::path(out_dir) / e.name).string()));
  e.config = root;
  return e;
}

}  // namespace

// What an experiment will run, worked out before anything runs.

Planned plan_experiment(const PaperExperiment& e) {
  Planned p;
  if (e.kind == "run") {
    p.run = config_from_yaml(e.config);
    p.dir = (fs::path(p.run->out_dir) / run_id(*p.run, std::nullopt)).string();
    p.grid.points.emplace_back();
    p.runs = 1;
  } else {
    p.sweep = plan_sweep(sweep_kind(e.kind), e.config);
    p.dir = p.sweep->dir;
    p.grid.axes = p.sweep->swept;
    for (const PlannedRun& r : p.sweep->runs) {
      ExperimentPoint point;
      for (const auto& a : p.grid.axes) point.coords[a] = r.coords.at(a);
      const bool seen =
          std::any_of(p.grid.points.begin(), p.grid.points.end(),
                      [&](const ExperimentPoint& q) { return q.coords == point.coords; });
      if (!seen) p.grid.points.push_back(std::move(point));
    }
    p.runs = static_cast<long>(p.sweep->runs.size());
  }
  check_claims_against(e.claims, p.grid, e.file);
  for (std::size_t i = 0; i < e.thresholds.size(); ++i)
    // `fit` may name a key that is a single value at this size (--quick): no slope then.
    for (const std::string& axis : {e.thresholds[i].along})
      if (std::find(p.grid.axes.begin(), p.grid.axes.end(), axis) == p.grid.axes.end())
        throw InputError(
            fmt::format("{}: reproduce.thresholds[{}]: {}: not an axis of this "
                        "experiment",
                        e.file, i, axis));
  return p;
}

bool complete(const Planned& p) {
  if (p.run) return run_folder_complete(p.dir);
  for (const PlannedRun& r : p.sweep->runs)
    if (!run_folder_complete((fs::path(p.dir) / "runs" / r.id).string())) return false;
  return fs::exists(fs::path(p.dir) / "runs.csv");
}

// The runs' wall times as the folder records them (summary.json, or runs.csv of a sweep),
// summed: what an experiment cost when it ran, also when this invocation reused it.
double recorded_run_time(const std::string& dir) {
  const std::optional<nlohmann::json> config = read_folder_config(dir);
  double sum = 0;
  if (config && config->contains("command")) {
    if (const auto runs = read_sweep_runs(dir, *config))
      for (const double w : runs->wall_s) sum += std::isnan(w) ? 0 : w;
  } else if (const auto summary = read_run_summary(dir)) {
    sum = std::isnan(summary->wall_time_s) ? 0 : summary->wall_time_s;
  }
  return sum;
}

ExperimentTable plan_grid(const PaperExperiment& e) { return plan_experiment(e).grid; }

std::vector<PaperExperiment> load_paper_experiments(const std::string& dir, bool quick,
                                                    const std::string& out_dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError(fmt::format("--configs: {}: not a folder of paper configs", dir));
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".yml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw InputError(fmt::format("--configs: {}: holds no .yml config", dir));
  std::vector<PaperExperiment> out;
  for (const auto& f : files) {
    out.push_back(load_experiment(f, quick, out_dir));
    for (std::size_t i = 0; i + 1 < out.size(); ++i)
      if (out[i].name == out.back().name)
        throw InputError(fmt::format("{}: experiment name '{}' also used by {}", f.string(),
                                     out.back().name, out[i].file));
  }
  return out;
}

const char* experiment_state_name(ExperimentState state) {
  switch (state) {
    case ExperimentState::kRun:
      return "run";
    case ExperimentState::kReused:
      return "reused";
    case ExperimentState::kNotRun:
      return "not run";
    case ExperimentState::kFailed:
      return "failed";
  }
  return "failed";
}

std::string default_paper_configs_dir() {
  return resource_dir("SIH_PAPER_CONFIGS", "configs/paper", "");
}

}  // namespace sih
