// The command line's small frictions (issue 24): warnings for keys that do nothing, `sih config
// --describe KEY`, batch_size following n under --set, --quiet on every command, progress
// without a terminal, and `sih completion bash` (its behaviour in bash: completion.sh).
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sih/commands/cli.hpp"
#include "sih/config/config_fields.hpp"
#include "sih/config/config_input.hpp"
#include "test_util.hpp"

using namespace sih;

namespace {

using test::cli;
using test::CliResult;

const char* const kSmall = test::kTinyConfig;

std::string write_config(const test::TempDir& tmp, const std::string& extra,
                         const std::string& name = "c.yml") {
  const std::string path = tmp / name;
  test::write_text(path, std::string(kSmall) + "out_dir: " + (tmp / "out") + "\n" + extra);
  return path;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

int count_lines(const std::string& text) {
  int lines = 0;
  for (char ch : text) lines += ch == '\n';
  return lines;
}

}  // namespace

// ---- keys that do nothing ---------------------------------------------------------------

TEST(InertKeys, EachIsOneWarningLineNamingKeyAndWhy) {
  struct Case {
    std::string yaml, line;
  };
  const std::vector<Case> cases = {
      {"lr_scheduler_kwargs:\n  gamma: 0.6\n",
       "[sih] warning: lr_scheduler_kwargs.gamma: 0.6: has no effect with no lr_scheduler_cls "
       "(acts only with lr_scheduler_cls StepLR, ExponentialLR)\n"},
      {"optimizer: adam\nmomentum: 0.9\n",
       "[sih] warning: momentum: 0.9: has no effect with optimizer adam (acts only with "
       "optimizer sgd, rmsprop)\n"},
      {"optimizer: rmsprop\nmomentum: 0.5\nnesterov: true\n",
       "[sih] warning: nesterov: true: has no effect with optimizer rmsprop (acts only with "
       "optimizer sgd)\n"},
      {"optimizer: sgd\nadam_betas:\n  beta1: 0.8\n",
       "[sih] warning: adam_betas.beta1: 0.8: has no effect with optimizer sgd (acts only with "
       "optimizer adam, adamw)\n"},
      {"optimizer: adamw\nrmsprop_alpha: 0.9\n",
       "[sih] warning: rmsprop_alpha: 0.9: has no effect with optimizer adamw (acts only with "
       "optimizer rmsprop)\n"},
      {"lr_scheduler_cls: StepLR\nlr_scheduler_kwargs:\n  T_max: 5\n",
       "[sih] warning: lr_scheduler_kwargs.T_max: 5: has no effect with lr_scheduler_cls StepLR "
       "(acts only with lr_scheduler_cls CosineAnnealingLR)\n"},
  };
  for (const Case& c : cases) {
    test::TempDir tmp;
    const CliResult r = cli({"config", write_config(tmp, c.yaml)});
    EXPECT_EQ(r.status, 0) << c.yaml << r.err;
    EXPECT_EQ(r.err, c.line) << c.yaml;
    // The config is used as written: the warning changes nothing else.
    EXPECT_TRUE(nlohmann::json::accept(r.out)) << c.yaml;
  }
}

TEST(InertKeys, KeysThatActAndOffDefaultsAreQuiet) {
  // The reference's configs write momentum: 0 with adam: off, nothing is lost.
  for (const std::string yaml :
       {"optimizer: adam\nmomentum: 0\nnesterov: false\n",
        "optimizer: sgd\nmomentum: 0.9\nnesterov: true\n",
        "lr_scheduler_cls: StepLR\nlr_scheduler_kwargs:\n  step_size: 2\n  gamma: 0.5\n",
        "optimizer: adamw\nadam_betas:\n  beta2: 0.99\nadam_eps: 1.0e-6\n",
        "optimizer: rmsprop\nrmsprop_eps: 1.0e-6\nmomentum: 0.1\n"}) {
    test::TempDir tmp;
    const CliResult r = cli({"config", write_config(tmp, yaml)});
    EXPECT_EQ(r.status, 0) << yaml << r.err;
    EXPECT_EQ(r.err, "") << yaml;
  }
}

TEST(InertKeys, NotesComeFromTheConfigLayerAndLeaveTheIdAlone) {
  const YAML::Node with = load_yaml_string("optimizer: adam\nmomentum: 0.9\n", "with");
  std::vector<std::string> notes;
  const Config c = config_from_yaml(with, &notes);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].rfind("warning: momentum: 0.9: ", 0), 0u) << notes[0];
  // Same id as before warnings existed: the key stays in the config and in the id.
  EXPECT_EQ(config_id(c), config_id(config_from_yaml(with)));
  EXPECT_NE(config_id(c), config_id(config_from_yaml(load_yaml_string("optimizer: adam\n", "x"))));
}

TEST(InertKeys, SweepWarnsOnceForTheRunsWhereTheKeyDoesNothing) {
  test::TempDir tmp;
  const std::string cfg =
      write_config(tmp, "optimizer: [sgd, adam]\nmomentum: 0.9\nlr: [0.1, 0.2]\n");
  const CliResult r = cli({"sweep", cfg, "--dry-run"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err,
            "[sih] warning: momentum: 0.9: has no effect with optimizer adam (acts only with "
            "optimizer sgd, rmsprop)\n");
  const CliResult q = cli({"sweep", cfg, "--dry-run", "--quiet"});
  EXPECT_EQ(q.status, 0);
  EXPECT_EQ(q.err, "");
}

// ---- sih config --describe KEY ----------------------------------------------------------

TEST(DescribeKey, OneKey) {
  const CliResult r = cli({"config", "--describe", "momentum"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out.rfind("key:      momentum\n", 0), 0u) << r.out;
  EXPECT_TRUE(contains(r.out, "\ntype:     float\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "\ndefault:  0.0\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "\nrule:     in [0, 1)\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "\ndoc:      sgd and rmsprop momentum\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "\nacts:     only with optimizer sgd, rmsprop")) << r.out;
  EXPECT_TRUE(contains(r.out, "\nflags:    sweepable; acts after the start")) << r.out;

  const CliResult b = cli({"config", "--describe", "batch_size"});
  EXPECT_TRUE(contains(b.out, "\ndefault:  n\n")) << b.out;
  EXPECT_TRUE(contains(b.out, "\nrule:     in [1, n]\n")) << b.out;
  const CliResult t = cli({"config", "--describe", "threads"});
  EXPECT_TRUE(contains(t.out, "not sweepable")) << t.out;
  EXPECT_TRUE(contains(t.out, "not in the run id")) << t.out;
  EXPECT_FALSE(contains(t.out, "acts:")) << t.out;
}

TEST(DescribeKey, ParentKeyDescribesItsChildren) {
  const CliResult r = cli({"config", "--describe", "lr_scheduler_kwargs"});
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* child :
       {"step_size", "gamma", "T_max", "eta_min", "start_factor", "end_factor", "total_iters"})
    EXPECT_TRUE(contains(r.out, std::string("key:      lr_scheduler_kwargs.") + child + "\n"))
        << child;
}

TEST(DescribeKey, UnknownKeyIsExit2WithDidYouMean) {
  const CliResult r = cli({"config", "--describe", "momentom"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "sih: error: unknown key 'momentom' (did you mean 'momentum'?)\n");
  const CliResult far = cli({"config", "--describe", "zzzzzz"});
  EXPECT_EQ(far.status, 2);
  EXPECT_EQ(far.err, "sih: error: unknown key 'zzzzzz'\n");
}

TEST(DescribeKey, WithoutKeyTheTableIsUnchanged) {
  const CliResult r = cli({"config", "--describe"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, describe_config_fields());
  EXPECT_TRUE(contains(r.out, "[acts only with optimizer adam, adamw]"));
}

// ---- --quiet on every command ---------------------------------------------------------------

TEST(Quiet, EveryCommandTakesItAndStillPrintsErrors) {
  test::TempDir tmp;
  const std::string missing = tmp / "missing";
  const std::vector<std::vector<std::string>> commands = {
      {"run", missing},     {"sweep", missing},
      {"bulk-lr", missing}, {"bulk-losses", missing},
      {"merge", missing},   {"plot", missing},
      {"report", missing},  {"analyze", missing},
      {"config", missing},  {"reproduce", "--configs", missing, "--out", tmp / "rep"},
  };
  for (const auto& command : commands) {
    for (const char* flag : {"-q", "--quiet"}) {
      std::vector<std::string> args = command;
      args.push_back(flag);
      const CliResult r = cli(args);
      EXPECT_EQ(r.status, 2) << command[0] << " " << flag << ": " << r.err;
      // One error line, and not CLI11's complaint about the flag.
      EXPECT_EQ(r.err.rfind("sih: error: ", 0), 0u) << command[0] << " " << flag << ": " << r.err;
      EXPECT_FALSE(contains(r.err, "quiet")) << r.err;
      EXPECT_EQ(count_lines(r.err), 1) << r.err;
    }
  }
}

TEST(Quiet, RunAndSweepAndMergeWriteNothingOnStderr) {
  test::TempDir tmp;
  const std::string cfg = write_config(tmp, "optimizer: adam\nmomentum: 0.5\n");
  const CliResult loud = cli({"run", cfg});
  ASSERT_EQ(loud.status, 0) << loud.err;
  EXPECT_TRUE(contains(loud.err, "[sih] warning: momentum")) << loud.err;
  const CliResult again = cli({"run", cfg, "-q"});  // already complete: a note, silenced
  EXPECT_EQ(again.status, 0);
  EXPECT_EQ(again.err, "");
  EXPECT_EQ(again.out, loud.out);
  // A run's log lines go to the process's stderr, so the binary is watched there.
  const std::string log = tmp / "run.stderr";
  for (const char* flag : {"", " -q"}) {
    const std::string command = std::string("OPENBLAS_CORETYPE=Haswell ") + SIH_BINARY + " run " +
                                cfg + " --force" + flag + " > /dev/null 2> " + log;
    ASSERT_EQ(std::system(command.c_str()), 0) << test::read_text(log);
    if (*flag)
      EXPECT_EQ(test::read_text(log), "") << flag;
    else
      EXPECT_TRUE(contains(test::read_text(log), "[sih] finished: status ok")) << flag;
  }

  const std::string sweep = write_config(tmp, "lr: [0.1, 0.2]\n", "s.yml");
  const CliResult s = cli({"sweep", sweep, "-q", "--jobs", "1"});
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(s.err, "");
  std::string dir = s.out;
  while (!dir.empty() && dir.back() == '\n') dir.pop_back();
  const CliResult m = cli({"merge", dir, "-q"});
  EXPECT_EQ(m.status, 0) << m.err;
  EXPECT_EQ(m.err, "");
  const CliResult loud_merge = cli({"merge", dir});
  EXPECT_TRUE(contains(loud_merge.err, "[sih] merged 2/2 runs")) << loud_merge.err;
}

// ---- batch_size follows n -----------------------------------------------------------------

namespace {
nlohmann::json resolved(const CliResult& r) { return nlohmann::json::parse(r.out); }
}  // namespace

TEST(BatchFollowsN, FullBatchStaysFullBatch) {
  test::TempDir tmp;
  const std::string cfg = write_config(tmp, "batch_size: 40\n");
  const CliResult r = cli({"config", cfg, "--set", "n=30"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(resolved(r)["batch_size"], 30);
  EXPECT_EQ(resolved(r)["n"], 30);
  EXPECT_EQ(r.err, "[sih] batch_size follows n (30): it equalled n in the config file\n");
  // The same run as a file that says n: 30, batch_size: 30 (and as one without batch_size).
  test::TempDir other;
  const std::string written = write_config(other, "batch_size: 30\n");
  const CliResult same = cli({"config", written, "--set", "n=30"});
  ASSERT_EQ(same.status, 0) << same.err;
  EXPECT_EQ(same.err, "");  // batch_size (30) differed from the file's n (40): kept
  EXPECT_EQ(resolved(same)["id"], resolved(r)["id"]);
  // Growing n keeps full batch too; quiet drops the note.
  const CliResult grown = cli({"config", cfg, "--set", "n=50", "--quiet"});
  ASSERT_EQ(grown.status, 0) << grown.err;
  EXPECT_EQ(resolved(grown)["batch_size"], 50);
  EXPECT_EQ(grown.err, "");
}

TEST(BatchFollowsN, MainYmlShrinks) {
  const std::string main_yml = std::string(SIH_REFERENCE_DIR) + "/../../../configs/main.yml";
  const CliResult before = cli({"config", main_yml});
  ASSERT_EQ(before.status, 0) << before.err;
  const CliResult r = cli({"config", main_yml, "--set", "n=300"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(resolved(r)["batch_size"], 300);
  // Unchanged without --set n: the file's own id.
  EXPECT_EQ(resolved(before)["batch_size"], 2000);
}

TEST(BatchFollowsN, ExplicitBatchSizeWins) {
  test::TempDir tmp;
  const std::string cfg = write_config(tmp, "batch_size: 40\n");
  const CliResult r = cli({"config", cfg, "--set", "n=30", "--set", "batch_size=10"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(resolved(r)["batch_size"], 10);
  EXPECT_EQ(r.err, "");
}

TEST(BatchFollowsN, DifferentBatchSizeSaysToSetItToo) {
  test::TempDir tmp;
  const std::string cfg = write_config(tmp, "batch_size: 20\n");
  const CliResult r = cli({"config", cfg, "--set", "n=10"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "sih: error: batch_size: 20: must be <= n (10); --set n changed n but the file's "
            "batch_size differs from its n (40): set batch_size too (--set batch_size=...)\n");
  // n still above batch_size: the mini-batch stays as written.
  const CliResult ok = cli({"config", cfg, "--set", "n=30"});
  ASSERT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(resolved(ok)["batch_size"], 20);
  EXPECT_EQ(ok.err, "");
}

// ---- progress without a terminal ----------------------------------------------------------

TEST(Progress, AnalyzeWritesPlainLinesWhenStderrIsAFile) {
  test::TempDir tmp;
  std::vector<std::string> inputs;
  for (int k = 0; k < 3; ++k) {
    std::string text;
    unsigned state = 12345u + static_cast<unsigned>(k);
    for (int i = 0; i < 20; ++i) {
      for (int j = 0; j < 30; ++j) {
        state = state * 1664525u + 1013904223u;
        text += (j ? "," : "") + std::to_string(static_cast<double>(state % 2000) / 1000.0 - 1);
      }
      text += "\n";
    }
    inputs.push_back(tmp / ("w" + std::to_string(k) + ".csv"));
    test::write_text(inputs.back(), text);
  }
  const std::string log = tmp / "stderr.log";
  std::string command = std::string("OPENBLAS_CORETYPE=Haswell ") + SIH_BINARY + " analyze";
  for (const auto& in : inputs) command += " " + in;
  command += " --out " + (tmp / "t.csv") + " 2> " + log;
  ASSERT_EQ(std::system(command.c_str()), 0) << test::read_text(log);
  const std::string err = test::read_text(log);
  EXPECT_FALSE(contains(err, "\r")) << err;
  EXPECT_TRUE(contains(err, "[sih] analyze 3/3 inputs\n")) << err;
}

// ---- completion ---------------------------------------------------------------------------

TEST(Completion, BashScriptNamesCommandsOptionsAndKeys) {
  const CliResult r = cli({"completion", "bash"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "complete -o filenames -o bashdefault -F _sih sih\n"));
  for (const char* word : {"'run'", "'bulk-losses'", "'completion'", "'--set'", "'--quiet'",
                           "'lr_scheduler_kwargs.gamma='", "'--describe'"})
    EXPECT_TRUE(contains(r.out, word)) << word;
  for (const auto& f : config_fields()) EXPECT_TRUE(contains(r.out, "'" + f.key + "='")) << f.key;
  const CliResult z = cli({"completion", "zsh"});
  EXPECT_EQ(z.status, 2);
  EXPECT_EQ(z.err, "sih: error: completion: zsh: unknown shell (supported: bash)\n");
}
