#include "sih/commands/reproduce.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>

#include "sih/base/text.hpp"
#include "sih/base/types.hpp"
#include "sih/experiments/run.hpp"
#include "sih/experiments/sweep.hpp"
#include "sih/formats/array_io.hpp"
#include "sih/pages/plot.hpp"
#include "sih/pages/report.hpp"
#include "sih/pages/reproduce_page.hpp"
#include "sih/rundir/output.hpp"

namespace sih {

namespace fs = std::filesystem;

ReproduceOutcome reproduce(const ReproduceOptions& options_in, std::ostream& progress) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  ReproduceOptions options = options_in;
  if (options.configs_dir.empty()) options.configs_dir = default_paper_configs_dir();
  if (options.out_dir.empty())
    options.out_dir = options.quick ? "out/reproduce-quick" : "out/reproduce";
  {
    // The page and claims.csv go into --out: the configs folder itself would be written over
    // (a file there is check_output_folder's, below).
    std::error_code ec;
    if (fs::equivalent(options.out_dir, options.configs_dir, ec) && !ec)
      throw InputError("--out: " + options.out_dir + ": is the configs folder " +
                       options.configs_dir + "; sih does not write over its inputs");
  }

  // Before hours of runs: an --out that cannot become a folder is bad input, not a failure at
  // the end.
  check_output_folder(options.out_dir, "--out");

  ReproduceOutcome result;
  result.experiments = load_paper_experiments(options.configs_dir, options.quick, options.out_dir);
  for (const auto& name : options.only) {
    const bool known = std::any_of(result.experiments.begin(), result.experiments.end(),
                                   [&](const PaperExperiment& e) { return e.name == name; });
    if (!known) {
      std::string names;
      for (const auto& e : result.experiments) names += (names.empty() ? "" : ", ") + e.name;
      throw InputError(fmt::format("--only: '{}': no such experiment (known: {})", name, names));
    }
  }
  std::vector<Planned> plans;
  for (const auto& e : result.experiments) plans.push_back(plan_experiment(e));

  const std::string scripts = default_plot_scripts_dir();
  // Quiet: what is progress goes nowhere; failures still go to `progress`.
  std::ostringstream discarded;
  std::ostream& info = options.quiet ? discarded : progress;
  const std::size_t total = result.experiments.size();
  for (std::size_t k = 0; k < total; ++k) {
    const PaperExperiment& e = result.experiments[k];
    const Planned& plan = plans[k];
    ExperimentOutcome out;
    out.experiment = &e;
    out.runs = plan.runs;
    const bool selected =
        options.only.empty() ||
        std::find(options.only.begin(), options.only.end(), e.name) != options.only.end();
    const bool was_complete = complete(plan);
    const std::string head = fmt::format("[sih] reproduce {}/{} {}", k + 1, total, e.name);
    if (!selected && !was_complete) {
      out.state = ExperimentState::kNotRun;
      result.outcomes.push_back(std::move(out));
      continue;
    }
    const auto t0 = Clock::now();
    try {
      bool replot = false;
      if (selected && (options.force || !was_complete)) {
        info << fmt::format("{} ({}, {} run{}): {}\n", head, e.kind, plan.runs,
                            plan.runs == 1 ? "" : "s", e.title)
             << std::flush;
        if (plan.run) {
          RunRequest req;
          req.config = *plan.run;
          req.force = options.force;
          req.cancel = options.cancel;
          req.quiet = options.quiet;
          run_experiment(req);
        } else {
          SweepOptions so;
          so.jobs = options.jobs;
          so.force = options.force;
          so.cancel = options.cancel;
          so.quiet = options.quiet;
          execute_sweep(*plan.sweep, so);
          merge_sweep(plan.dir);
        }
        replot = true;
        out.state = ExperimentState::kRun;
      } else {
        out.state = ExperimentState::kReused;
      }
      out.dir = plan.dir;
      if (replot) plot_folder(plan.dir, scripts);
      const ReportResult report = write_report(plan.dir, scripts);
      const fs::path rel = fs::path(plan.dir).lexically_relative(options.out_dir);
      std::vector<std::string> shown = e.figures;
      if (shown.empty())
        for (std::size_t i = 0; i < report.images.size() && i < 2; ++i)
          shown.push_back(fs::path(report.images[i]).filename().string());
      for (const auto& f : shown) {
        if (fs::exists(fs::path(plan.dir) / "plots" / f))
          out.figures.push_back((rel / "plots" / f).string());
        else
          info << fmt::format(
              "{}: note: reproduce.figures: {}: not drawn (no such file in "
              "plots/)\n",
              head, f);
      }
      out.run_time_s = recorded_run_time(plan.dir);
      const ExperimentTable table = load_experiment_table(plan.dir);
      for (const Claim& c : e.claims) out.claims.push_back(evaluate_claim(c, table));
      // Thresholds and fits of the means over repeats; with `repeats: true`, the slope of each
      // repeat apart as well (a table with a repeat axis, read once).
      std::optional<ExperimentTable> by_repeat;
      for (const ThresholdSpec& t : e.thresholds) {
        ThresholdResult result = evaluate_thresholds(t, table);
        if (t.over_repeats) {
          if (!by_repeat) by_repeat = load_experiment_table(plan.dir, true);
          result.repeated = slopes_over_repeats(t, *by_repeat);
        }
        out.thresholds.push_back(std::move(result));
      }
      // The threshold figures: <out>/<name>/thresholds_<k>.png (scripts/plot/thresholds.gp).
      const fs::path fig_dir = fs::path(options.out_dir) / e.name;
      bool any_dat = false;
      for (std::size_t k = 0; k < out.thresholds.size(); ++k) {
        const std::string dat = thresholds_dat(e.thresholds[k], out.thresholds[k]);
        const fs::path file = fig_dir / fmt::format("thresholds_{}.dat", k);
        std::error_code ec;
        fs::remove(fig_dir / fmt::format("thresholds_{}.png", k), ec);
        if (dat.empty()) {
          fs::remove(file, ec);
          continue;
        }
        write_file_atomic(file.string(), dat);
        any_dat = true;
      }
      if (any_dat) {
        const ScriptOutput plotted =
            run_gnuplot(find_gnuplot(), (fs::path(scripts) / "thresholds.gp").string(),
                        fig_dir.string(), {"SIH_PLOTS_DIR=" + fig_dir.string()});
        if (plotted.status != 0)
          info << fmt::format("{}: note: thresholds.gp failed: {}\n", head, plotted.err);
        for (std::size_t k = 0; k < out.thresholds.size(); ++k) {
          const fs::path png = fig_dir / fmt::format("thresholds_{}.png", k);
          if (png_problem(png.string()).empty())
            out.figures.push_back(png.lexically_relative(options.out_dir).string());
        }
      }
    } catch (const Interrupted&) {
      throw;
    } catch (const InputError& ex) {
      out.state = ExperimentState::kFailed;
      out.error = ex.what();
      out.input_error = true;
      result.failed = true;
      result.input_error = true;
    } catch (const std::exception& ex) {
      out.state = ExperimentState::kFailed;
      out.error = ex.what();
      result.failed = true;
    }
    out.wall_time_s = std::chrono::duration<double>(Clock::now() - t0).count();
    long held = 0;
    for (const auto& c : out.claims) held += c.holds ? 1 : 0;
    result.claims_checked += static_cast<long>(out.claims.size());
    result.claims_held += held;
    if (out.state == ExperimentState::kFailed)
      progress << fmt::format("{}: failed: {}\n", head, out.error);
    else
      info << fmt::format("{}: {} ({}): {}/{} claims hold\n", head,
                          experiment_state_name(out.state), duration_text(out.wall_time_s), held,
                          out.claims.size());
    for (const auto& c : out.claims)
      if (!c.holds) info << fmt::format("[sih]   does not hold: {}\n", c.claim->says);
    progress << std::flush;
    result.outcomes.push_back(std::move(out));
  }
  result.wall_time_s = std::chrono::duration<double>(Clock::now() - started).count();
  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  if (ec)
    throw InputError(
        fmt::format("--out: {}: cannot create folder: {}", options.out_dir, ec.message()));
  result.index_path = (fs::path(options.out_dir) / "index.html").string();
  result.claims_csv = (fs::path(options.out_dir) / "claims.csv").string();
  write_file_atomic(result.claims_csv, reproduce_claims_csv(result));
  write_file_atomic(result.index_path, reproduce_index_html(result, options));
  return result;
}

}  // namespace sih
