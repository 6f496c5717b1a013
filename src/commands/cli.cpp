// The sih command line, as a library function so that tests run it in-process: parses the
// arguments, calls the library, prints one line per error. Exit status: 0 success, 2 bad
// input (config, arguments, files), 1 internal failure, 128+signal when interrupted.
#include "sih/commands/cli.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <iostream>
#include <string>
#include <vector>

#include "sih/base/interrupt.hpp"
#include "sih/base/types.hpp"
#include "sih/base/version.hpp"
#include "sih/commands/analyze.hpp"
#include "sih/commands/reproduce.hpp"
#include "sih/config/config_fields.hpp"
#include "sih/config/config_input.hpp"
#include "sih/core/config.hpp"
#include "sih/experiments/init_from.hpp"
#include "sih/experiments/run.hpp"
#include "sih/experiments/sweep.hpp"
#include "sih/pages/plot.hpp"
#include "sih/pages/report.hpp"
#include "sih/train/trainer.hpp"

namespace sih {

std::atomic<int>& cli_interrupt_signal() { return interrupt_signal(); }

namespace {

// A config file, its `reproduce:` section (paper experiments, read by sih reproduce) set aside.
YAML::Node load_config_tree(const std::string& path) {
  YAML::Node root = sih::load_yaml_file(path);
  sih::take_reproduce_section(root);
  return root;
}

// The config file with its --set overrides, validated; `notes` gets what the config layer has
// to say about it (keys that do nothing, batch_size following n).
sih::Config load_config(const std::string& path, const std::vector<std::string>& sets,
                        std::vector<std::string>& notes) {
  YAML::Node root = load_config_tree(path);
  notes = sih::apply_overrides(root, sets);
  return sih::config_from_yaml(root, &notes);
}

void show_notes(const std::vector<std::string>& notes, bool quiet, std::ostream& err) {
  if (quiet) return;
  for (const auto& n : notes) err << "[sih] " << n << '\n';
}

int cmd_run(const std::string& path, const std::vector<std::string>& sets, bool force, bool quiet,
            std::ostream& out, std::ostream& err) {
  sih::RunRequest req;
  std::vector<std::string> notes;
  req.config = load_config(path, sets, notes);
  show_notes(notes, quiet, err);
  req.force = force;
  req.quiet = quiet;
  req.cancel = &interrupt_signal();
  const sih::RunOutcome result = sih::run_experiment(req);
  if (result.skipped && !quiet)
    err << "[sih] " << result.dir << " is already complete (use --force to recompute)\n";
  // Not silenced by --quiet: a diverged run is a result the caller has to know about.
  if (result.status == sih::RunStatus::kDiverged)
    err << "[sih] warning: the run diverged at step "
        << result.summary.value("diverged_step", nlohmann::json(-1)).dump()
        << " (recorded in summary.json)\n";
  out << result.dir << std::endl;
  return 0;
}

struct SweepArgs {
  std::string shard;
  int jobs = 0;
  long max_runs = 10000;
  bool dry_run = false;
};

int cmd_sweep(const sih::SweepKind& kind, const std::string& path,
              const std::vector<std::string>& sets, const SweepArgs& args, bool force, bool quiet,
              std::ostream& out, std::ostream& err) {
  YAML::Node root = load_config_tree(path);
  show_notes(sih::apply_overrides(root, sets), quiet, err);
  sih::SweepOptions opt;
  if (!args.shard.empty()) opt.shard = sih::parse_shard(args.shard);
  sih::check_jobs(args.jobs);
  opt.jobs = args.jobs;
  opt.force = force;
  opt.quiet = quiet;
  opt.cancel = &interrupt_signal();
  sih::PlanLimits limits;
  limits.max_runs = args.max_runs;
  const sih::SweepPlan plan = sih::plan_sweep(kind, root, limits);
  show_notes(plan.notes, quiet, err);
  if (args.dry_run) {
    out << sih::describe_plan(plan, args.jobs) << std::flush;
    return 0;
  }
  const sih::SweepOutcome done = sih::execute_sweep(plan, opt);
  if (!quiet)
    err << "[sih] shard " << opt.shard.index << "/" << opt.shard.count << ": " << done.executed
        << " runs executed, " << done.skipped << " already complete, " << done.diverged
        << " diverged\n";
  if (opt.shard.count == 1) {
    const sih::MergeOutcome m = sih::merge_sweep(plan.dir);
    if (!quiet)
      err << "[sih] merged " << m.complete << "/" << m.total << " runs (" << m.missing
          << " missing, " << m.diverged
          << " diverged) into runs.csv, aggregate.csv and correlations.csv\n";
  } else if (!quiet) {
    err << "[sih] sharded: run `sih merge " << plan.dir << "` when every shard is done\n";
  }
  out << plan.dir << std::endl;
  return 0;
}

int cmd_merge(const std::string& dir, bool quiet, std::ostream& out, std::ostream& err) {
  const sih::MergeOutcome m = sih::merge_sweep(dir);
  if (!quiet)
    err << "[sih] merged " << m.complete << "/" << m.total << " runs (" << m.missing << " missing, "
        << m.diverged << " diverged)\n";
  out << dir << std::endl;
  return m.missing > 0 ? 3 : 0;
}

int cmd_plot(const std::string& dir, bool quiet, std::ostream& out, std::ostream& err) {
  const sih::PlotResult r = sih::plot_folder(dir, sih::default_plot_scripts_dir());
  show_notes(r.notes, quiet, err);
  for (const auto& f : r.files) out << f << '\n';
  out << std::flush;
  return 0;
}

int cmd_reproduce(sih::ReproduceOptions opt, std::ostream& out, std::ostream& err) {
  sih::check_jobs(opt.jobs);
  opt.cancel = &interrupt_signal();
  const sih::ReproduceOutcome r = sih::reproduce(opt, err);
  if (!opt.quiet)
    err << "[sih] reproduce: " << r.claims_held << " of " << r.claims_checked
        << " claims hold; page " << r.index_path << ", table " << r.claims_csv << '\n';
  out << r.index_path << std::endl;
  // A run or sweep folder it could not read is bad input, as in every other command.
  if (r.failed) return r.input_error ? 2 : 1;
  return r.claims_held < r.claims_checked ? 4 : 0;
}

int cmd_report(const std::string& dir, bool quiet, std::ostream& out, std::ostream& err) {
  const sih::ReportResult r = sih::write_report(dir, sih::default_plot_scripts_dir());
  show_notes(r.notes, quiet, err);
  out << r.path << std::endl;
  return 0;
}

constexpr const char* kQuietHelp = "No progress or notes on stderr (errors still are)";

// Words of a bash array, each quoted for the shell.
std::string shell_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    out += (out.empty() ? "'" : " '");
    for (char ch : w) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    out += "'";
  }
  return out;
}

// The bash completion script, from the parsed command line's own subcommands and options and
// the config field table, so that it cannot fall behind either.
std::string bash_completion(const CLI::App& app) {
  std::vector<std::string> commands;
  std::string cases;
  for (const CLI::App* sub : app.get_subcommands({})) {
    commands.push_back(sub->get_name());
    std::vector<std::string> flags{"--help"}, valued;
    for (const CLI::Option* o : sub->get_options()) {
      if (o->get_positional()) continue;
      for (const auto& n : o->get_lnames()) {
        if (n == "help") continue;
        (o->get_expected_max() == 0 ? flags : valued).push_back("--" + n);
      }
      for (const auto& n : o->get_snames())
        if (n != "h") (o->get_expected_max() == 0 ? flags : valued).push_back("-" + n);
    }
    std::vector<std::string> all = flags;
    all.insert(all.end(), valued.begin(), valued.end());
    cases += "    " + sub->get_name() + ") opts=(" + shell_words(all) + ") ;;\n";
  }
  std::vector<std::string> keys, assignments;
  for (const auto& f : sih::config_fields()) {
    keys.push_back(f.key);
    assignments.push_back(f.key + "=");
  }
  std::string s;
  s += "# bash completion for sih (sih completion bash); source it or save it as\n";
  s += "# ~/.local/share/bash-completion/completions/sih\n";
  s += "_sih() {\n";
  s += "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n";
  s += "  local commands=(" + shell_words(commands) + ")\n";
  s += "  local keys=(" + shell_words(keys) + ")\n";
  s += "  local assignments=(" + shell_words(assignments) + ")\n";
  s += "  if [[ $COMP_CWORD -eq 1 ]]; then\n";
  s += "    COMPREPLY=($(compgen -W \"${commands[*]} --help --version\" -- \"$cur\"))\n";
  s += "    return\n";
  s += "  fi\n";
  s += "  if [[ $prev == --set ]]; then\n";
  s += "    compopt -o nospace 2>/dev/null\n";
  s += "    COMPREPLY=($(compgen -W \"${assignments[*]}\" -- \"$cur\"))\n";
  s += "    return\n";
  s += "  fi\n";
  s += "  if [[ ${COMP_WORDS[1]} == config && $prev == --describe ]]; then\n";
  s += "    COMPREPLY=($(compgen -W \"${keys[*]}\" -- \"$cur\"))\n";
  s += "    return\n";
  s += "  fi\n";
  s += "  if [[ ${COMP_WORDS[1]} == completion ]]; then\n";
  s += "    COMPREPLY=($(compgen -W bash -- \"$cur\"))\n";
  s += "    return\n";
  s += "  fi\n";
  s += "  local opts=()\n";
  s += "  case ${COMP_WORDS[1]} in\n" + cases + "  esac\n";
  s += "  if [[ $cur == -* ]]; then\n";
  s += "    COMPREPLY=($(compgen -W \"${opts[*]}\" -- \"$cur\"))\n";
  s += "    return\n";
  s += "  fi\n";
  s += "  COMPREPLY=($(compgen -f -- \"$cur\"))\n";
  s += "}\n";
  s += "complete -o filenames -o bashdefault -F _sih sih\n";
  return s;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{"sih: spectral study of neural-network training (From Spikes to Heavy Tails)"};
  app.name("sih");  // usage lines read `sih [OPTIONS] SUBCOMMAND`
  app.set_version_flag("--version", std::string("sih ") + sih::kVersion);
  app.require_subcommand(1);

  std::string config_path;
  std::vector<std::string> sets;
  bool force = false, quiet = false;

  auto* run = app.add_subcommand("run", "Train one student and probe it at every checkpoint");
  run->add_option("config", config_path, "YAML config file")->required();
  run->add_option("--set", sets, "Override a config key: key=value (value parsed as YAML)")
      ->type_name("KEY=VALUE");
  run->add_flag("--force", force, "Recompute even if the output folder is already complete");
  run->add_flag("-q,--quiet", quiet, kQuietHelp);
  run->footer(
      "Prints the run's output folder as the last line of stdout.\n"
      "Config keys: see `sih config --describe`.");

  bool describe = false;
  auto* config = app.add_subcommand("config", "Show the config fields, or resolve a config");
  config->add_flag("--describe", describe,
                   "List every config field (type, default, rule, doc); with KEY, that one key");
  config->add_option("config", config_path,
                     "YAML config to validate and print resolved (JSON); with --describe, a key");
  config->add_option("--set", sets, "Override a config key: key=value")->type_name("KEY=VALUE");
  config->add_flag("-q,--quiet", quiet, kQuietHelp);

  SweepArgs sweep_args;
  std::vector<std::pair<const sih::SweepKind*, CLI::App*>> sweeps;
  for (const sih::SweepKind& kind : sih::sweep_kinds()) {
    auto* cmd = app.add_subcommand(kind.name, kind.help);
    cmd->add_option("config", config_path, "YAML sweep config")->required();
    cmd->add_option("--set", sets, "Override a config key: key=value (value parsed as YAML)")
        ->type_name("KEY=VALUE");
    cmd->add_option("--shard", sweep_args.shard,
                    "Run only the K-th of N disjoint slices of the runs")
        ->type_name("K/N");
    cmd->add_option("--jobs", sweep_args.jobs, "Parallel runs (default: from cores and run count)");
    cmd->add_option("--max-runs", sweep_args.max_runs,
                    "Refuse sweeps of more runs than this (default 10000, at most 1000000)");
    cmd->add_flag("--dry-run", sweep_args.dry_run,
                  "Print the plan (runs, axes, shared starts, time and memory); write nothing");
    cmd->add_flag("--force", force, "Recompute runs whose folders are already complete");
    cmd->add_flag("-q,--quiet", quiet, kQuietHelp);
    cmd->footer(
        "Prints the sweep folder as the last line of stdout. Resumable: a re-run skips\n"
        "complete runs. Unsharded sweeps merge automatically; sharded ones need `sih merge`.");
    sweeps.emplace_back(&kind, cmd);
  }

  std::string dir;
  auto* merge = app.add_subcommand("merge", "Build runs.csv and aggregate.csv of a sweep folder");
  merge->add_option("sweep_dir", dir, "Sweep folder")->required();
  merge->add_flag("-q,--quiet", quiet, kQuietHelp);
  merge->footer(
      "Exit status 3 when some runs are still missing (the files are written anyway); 2 when a\n"
      "run's summary.json or metrics.csv is unreadable or malformed (that run counts as missing,\n"
      "the files are written from the others, the message names the file).");
  auto* plot = app.add_subcommand("plot", "Draw every figure of a run or sweep folder (gnuplot)");
  plot->add_option("out_dir", dir, "Run or sweep folder")->required();
  plot->add_flag("-q,--quiet", quiet, kQuietHelp);
  plot->footer("Prints the PNG files written, one per line.");

  sih::AnalyzeOptions aopt;
  std::string init_std;
  std::string seed_text;  // parsed below: CLI11 takes "-1" for an unsigned and wraps it
  auto* report = app.add_subcommand(
      "report", "Write DIR/report.html: one static page of a run or sweep folder with its figures");
  report->add_option("out_dir", dir, "Run or sweep folder")->required();
  report->add_flag("-q,--quiet", quiet, kQuietHelp);
  report->footer(
      "Draws the figures first (sih plot) when DIR/plots/ holds none. Prints the page's path.");

  sih::ReproduceOptions ropt;
  auto* reproduce = app.add_subcommand(
      "reproduce",
      "Re-run the paper's experiments (configs/paper/), check their claims, write a page");
  reproduce->add_flag("--quick", ropt.quick,
                      "Every experiment at its reduced size (a first look, CI)");
  reproduce
      ->add_option("--only", ropt.only,
                   "Run only this experiment (repeatable; the page covers all)")
      ->type_name("NAME");
  reproduce->add_option("--configs", ropt.configs_dir,
                        "Folder of paper configs (default: configs/paper)");
  reproduce->add_option("--out", ropt.out_dir,
                        "Output folder (default: out/reproduce, or out/reproduce-quick)");
  reproduce->add_option("--jobs", ropt.jobs,
                        "Parallel runs within a sweep (default: from the cores)");
  reproduce->add_flag("--force", ropt.force, "Recompute runs whose folders are already complete");
  reproduce->add_flag("-q,--quiet", ropt.quiet, kQuietHelp);
  reproduce->footer(
      "Resumable: finished runs are reused. Prints the page (index.html) as the last line of\n"
      "stdout. Exit status 0 when every claim holds, 4 when one does not, 2 on bad input.");

  auto* analyze = app.add_subcommand(
      "analyze", "ESD diagnostics (weightwatcher/powerlaw conventions) of weight matrices");
  analyze
      ->add_option("paths", aopt.paths,
                   "Checkpoints (safetensors, PyTorch, ONNX, GGUF, .npz, .npy, .csv), "
                   "HuggingFace model folders or sih run folders")
      ->required();
  analyze->add_option("--out", aopt.out_file, "Write the table to FILE (default: stdout)");
  analyze->add_option("--out-dir", aopt.out_dir,
                      "Write every output into DIR: analyze.csv (or .json), summary.json, "
                      "compare.csv");
  analyze->add_option("--compare", aopt.compare,
                      "BASE checkpoint: pair its tensors with PATH's (compare.csv; stdout "
                      "without --out-dir)");
  analyze->add_option("--format", aopt.format, "csv (default) or json");
  auto* plot_option =
      analyze
          ->add_option("--plot", aopt.plot_dir,
                       "Figures: with --out-dir and no DIR, the layer figures and the outliers' "
                       "ESDs into OUT_DIR/plots (for sih report); --plot DIR: the layer figures "
                       "and every matrix's ESD into DIR")
          ->expected(0, 1);
  analyze->add_option("--jobs", aopt.jobs, "Threads across matrices (default: cores)");
  analyze->add_option("--pl-bootstrap", aopt.pl_bootstrap,
                      "Bootstrap GOF samples of the power law (default 0 = off)");
  analyze->add_flag("--randomize", aopt.randomize,
                    "Permute each matrix's entries and compare its ESD (rand_* columns, "
                    "correlation_trap; about doubles the eigensolves)");
  analyze->add_option("--seed", seed_text, "Seed of the bootstrap and of --randomize")
      ->type_name("UINT");
  analyze->add_option("--init-std", init_std,
                      "Std of the initial entries: adds mp_lambda_plus_init, num_spikes_init");
  analyze->add_option("--tpl-alpha-max", aopt.tpl_alpha_max,
                      "Upper bound of the truncated power law's alpha (powerlaw default: 3)");
  analyze->add_option("--layers", aopt.layers,
                      "Only tensors whose name matches REGEX (searched, ECMAScript)");
  analyze->add_option("--min-evals", aopt.min_evals,
                      "Skip tensors with fewer eigenvalues (default 10, as weightwatcher)");
  analyze->add_option("--max-evals", aopt.max_evals,
                      "Skip tensors with more eigenvalues (default 0 = no limit; weightwatcher: "
                      "15000)");
  analyze->add_option("--conv", aopt.conv,
                      "Conv kernels: slices (weightwatcher's kh*kw slices, default) or flatten");
  analyze->add_flag("--keep-going", aopt.keep_going, "Analyse the good inputs when some are bad");
  analyze->add_flag("-q,--quiet", aopt.quiet, kQuietHelp);

  std::string shell;
  auto* completion = app.add_subcommand("completion", "Print a shell completion script");
  completion->add_option("shell", shell, "bash")->required();
  completion->footer(
      "Use: source <(sih completion bash), or save it in "
      "~/.local/share/bash-completion/completions/sih");
  analyze->footer(
      "One row per matrix (docs/OUTPUT.md, \"sih analyze\"); a model summary on stderr and in\n"
      "--out-dir's summary.json. Exit status 2 when an input is bad\n"
      "(with --keep-going after analysing the others).");

  try {
    // An unknown first word would otherwise be reported as "a subcommand is required".
    if (!args.empty() && !args[0].empty() && args[0][0] != '-') {
      std::vector<std::string> names;
      for (const auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
      if (std::find(names.begin(), names.end(), args[0]) == names.end()) {
        err << "sih: error: unknown command '" << args[0] << "' (commands: ";
        for (std::size_t i = 0; i < names.size(); ++i) err << (i ? ", " : "") << names[i];
        err << "; see sih --help)" << std::endl;
        return 2;
      }
    }
    try {
      // CLI11 wants the arguments in reverse order without the program name.
      std::vector<std::string> rev(args.rbegin(), args.rend());
      app.parse(rev);
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e, out, err);
    } catch (const CLI::CallForAllHelp& e) {
      return app.exit(e, out, err);
    } catch (const CLI::Success& e) {
      return app.exit(e, out, err);
    } catch (const CLI::ParseError& e) {
      err << "sih: error: " << e.what() << " (see sih --help)" << std::endl;
      return 2;
    }
    if (*run) return cmd_run(config_path, sets, force, quiet, out, err);
    for (const auto& [kind, cmd] : sweeps)
      if (*cmd) return cmd_sweep(*kind, config_path, sets, sweep_args, force, quiet, out, err);
    if (*merge) return cmd_merge(dir, quiet, out, err);
    if (*plot) return cmd_plot(dir, quiet, out, err);
    if (*report) return cmd_report(dir, quiet, out, err);
    if (*completion) {
      if (shell != "bash")
        throw sih::InputError("completion: " + shell + ": unknown shell (supported: bash)");
      out << bash_completion(app);
      return 0;
    }
    if (*reproduce) return cmd_reproduce(ropt, out, err);
    if (*analyze) {
      aopt.plot_into_out_dir = plot_option->count() > 0 && aopt.plot_dir.empty();
      if (!init_std.empty()) {
        try {
          aopt.init_std = std::stod(init_std);
        } catch (const std::exception&) {
          throw sih::InputError("--init-std: " + init_std + ": must be a number");
        }
        if (!(aopt.init_std > 0))
          throw sih::InputError("--init-std: " + init_std + ": must be > 0");
      }
      if (!seed_text.empty()) {
        std::uint64_t seed = 0;
        const char* end = seed_text.data() + seed_text.size();
        const auto [ptr, ec] = std::from_chars(seed_text.data(), end, seed);
        if (ec != std::errc() || ptr != end)
          throw sih::InputError("--seed: " + seed_text +
                                ": must be an integer from 0 to 18446744073709551615");
        aopt.seed = seed;
      }
      return sih::run_analyze(aopt, out, err);
    }
    if (*config) {
      if (describe && !config_path.empty()) {
        out << sih::describe_config_field(config_path);
        return 0;
      }
      if (describe || config_path.empty()) {
        out << sih::describe_config_fields();
        return 0;
      }
      std::vector<std::string> notes;
      const sih::Config c = load_config(config_path, sets, notes);
      show_notes(notes, quiet, err);
      nlohmann::json j = sih::config_to_json(c);
      // The folder name `sih run` would use, init_from's arrays included.
      const std::string init_hash = sih::init_from_hash(c);
      if (!init_hash.empty()) j["init_from_hash"] = init_hash;
      j["id"] = sih::run_id(c, std::nullopt, init_hash);
      out << j.dump(2) << std::endl;
      return 0;
    }
  } catch (const sih::InputError& e) {
    err << "sih: error: " << e.what() << std::endl;
    return 2;
  } catch (const sih::Interrupted& e) {
    err << "sih: interrupted by signal " << e.signal
        << "; nothing half-written is left (finished runs are kept)" << std::endl;
    return 128 + e.signal;
  } catch (const sih::OutputError& e) {
    // Disk full or I/O error: not bad input, so 1; nothing half-written is left in place.
    err << "sih: error: cannot write results: " << e.what() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    err << "sih: internal error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace sih
