// Bad input through the whole command line (sih::run_cli, in-process): every case gives exit
// status 2 (bad input), exactly one line on stderr that says what is wrong, nothing on stdout,
// and nothing written to the out_dir. The library-level tables (test_config.cpp,
// test_sweep.cpp) check the wording of each rule; this one checks the contract of the CLI.
//
// Placeholders in arguments and messages: {tmp} the case's scratch folder, {cfg} the config
// file written there, {out} the out_dir passed with --set, {init} a folder of init_from arrays.
//
// "Unreadable file": the suite runs as root in CI, where permission bits do not stop reads, so
// a chmod 000 file would be read. Two files that really cannot be read stand in for it: a
// directory, and /proc/self/mem (open succeeds, read fails with EIO).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "sih/commands/cli.hpp"
#include "sih/config/config_fields.hpp"
#include "sih/config/config_input.hpp"
#include "sih/core/config.hpp"
#include "sih/core/data.hpp"
#include "sih/core/memory_model.hpp"
#include "sih/formats/array_io.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace sih;

namespace {

// A small valid config; each case's YAML replaces the base's top-level keys it names.
const char* const kBase = test::kTinyConfig;

std::string top_key(const std::string& line) {
  if (line.empty() || line[0] == ' ' || line[0] == '#' || line[0] == '-') return "";
  const auto colon = line.find(':');
  return colon == std::string::npos ? "" : line.substr(0, colon);
}

// kBase with the keys of `extra` replaced by its lines.
std::string merged(const std::string& extra) {
  std::vector<std::string> keys;
  std::stringstream ex(extra);
  for (std::string line; std::getline(ex, line);) keys.push_back(top_key(line));
  std::string out;
  std::stringstream base(kBase);
  for (std::string line; std::getline(base, line);)
    if (std::find(keys.begin(), keys.end(), top_key(line)) == keys.end()) out += line + "\n";
  return out + extra + (extra.empty() || extra.back() == '\n' ? "" : "\n");
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

// init_from arrays matching kBase (n 40, d 8, h 12, n_test 10, fix_last_layer true).
void write_init(const std::string& dir) {
  fs::create_directories(dir);
  const Config c = config_from_yaml(load_yaml_string(kBase, "base"));
  const Problem<double> p = generate_problem<double>(c, RunSeeds::from_seed(7));
  test::write_init_folder(dir, p);
}

// Replaces line `line` (1-based) of a CSV file with `text`.
void replace_csv_line(const std::string& path, int line, const std::string& text) {
  std::stringstream in(test::read_text(path));
  std::string out, l;
  for (int i = 1; std::getline(in, l); ++i) out += (i == line ? text : l) + "\n";
  test::write_text(path, out);
}

enum class Match { kExact, kFragment };

struct Case {
  std::string name;
  std::vector<std::string> args;  // {cfg} etc. substituted
  std::string yaml;               // merged with kBase unless `raw`; written to {cfg}
  bool raw = false;               // write `yaml` as is
  int status = 2;
  std::string message;  // the stderr line without the trailing newline
  Match match = Match::kExact;
  std::function<void(const std::string& tmp)> setup;  // prepares files in {tmp}
};

// Everything in `dir` (recursively), for a readable failure message.
std::string listing(const std::string& dir) {
  std::string s;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec))
    s += "  " + it->path().string() + "\n";
  return s;
}

Case run_case(std::string name, std::string yaml, std::string message,
              Match match = Match::kExact) {
  Case c;
  c.name = std::move(name);
  c.args = {"run", "{cfg}", "--set", "out_dir={out}"};
  c.yaml = std::move(yaml);
  c.message = std::move(message);
  c.match = match;
  return c;
}

Case sweep_case(const char* command, std::string name, std::string yaml, std::string message,
                Match match = Match::kExact) {
  Case c = run_case(std::move(name), std::move(yaml), std::move(message), match);
  c.args[0] = command;
  return c;
}

Case args_case(std::string name, std::vector<std::string> args, std::string message,
               Match match = Match::kExact) {
  Case c;
  c.name = std::move(name);
  c.args = std::move(args);
  c.message = std::move(message);
  c.match = match;
  return c;
}

Case with_setup(Case c, std::function<void(const std::string&)> setup) {
  c.setup = std::move(setup);
  return c;
}

Case raw(Case c) {
  c.raw = true;
  return c;
}

std::vector<Case> all_cases() {
  const std::string init = "init_from: {init}\n";
  std::vector<Case> cases = {
      // ---- The config file itself.
      args_case("missing_file", {"run", "{tmp}/none.yml", "--set", "out_dir={out}"},
                "sih: error: {tmp}/none.yml: cannot open: No such file or directory"),
      args_case("missing_folder_of_file",
                {"run", "{tmp}/no/such/dir.yml", "--set", "out_dir={out}"},
                "sih: error: {tmp}/no/such/dir.yml: cannot open: No such file or directory"),
      args_case("unreadable_directory", {"run", "{tmp}", "--set", "out_dir={out}"},
                "sih: error: {tmp}: is a directory, not a config file"),
      args_case("unreadable_io_error", {"run", "/proc/self/mem", "--set", "out_dir={out}"},
                "sih: error: /proc/self/mem: cannot read: Input/output error"),
      raw(run_case("empty_file", "", "sih: error: {cfg}: is empty")),
      raw(run_case("comment_only", "# nothing here\n", "sih: error: {cfg}: is empty")),
      raw(run_case("yaml_unclosed_flow", "n: 40\nlr: [0.1, 1\n",
                   "sih: error: {cfg}: YAML syntax error at line 3, column 1: end of sequence "
                   "flow not found")),
      raw(run_case("yaml_bad_indent", "n: 40\nd: 8\n  h: 12\n",
                   "sih: error: {cfg}: YAML syntax error at line 3, column 4: illegal map value")),
      raw(run_case("yaml_two_colons", "n: 40\nh: x: 1\n",
                   "sih: error: {cfg}: YAML syntax error at line 2, column 5: illegal map value")),
      raw(run_case("top_level_list", "- n: 40\n- d: 8\n",
                   "sih: error: {cfg}: top level must be a mapping of keys to values")),
      raw(run_case("top_level_scalar", "just a sentence\n",
                   "sih: error: {cfg}: top level must be a mapping of keys to values")),
      raw(run_case("two_documents", "n: 40\n---\nd: 8\n",
                   "sih: error: {cfg}: holds 2 YAML documents (separated by ---); expected one")),
      // ---- Keys.
      run_case("unknown_key_abbreviation", "learning_rate: 0.1",
               "sih: error: unknown key 'learning_rate' (did you mean 'lr'?)"),
      run_case("unknown_key_typo", "num_epoch: 3",
               "sih: error: unknown key 'num_epoch' (did you mean 'num_epochs'?)"),
      run_case("unknown_key_wrong_level", "gamma: 0.5",
               "sih: error: unknown key 'gamma' (did you mean 'lr_scheduler_kwargs.gamma'?)"),
      run_case("unknown_nested_key", "lr_scheduler_kwargs: {gama: 0.5}",
               "sih: error: unknown key 'lr_scheduler_kwargs.gama' (did you mean "
               "'lr_scheduler_kwargs.gamma'?)"),
      run_case("unknown_key_no_suggestion", "zzz_qqq: 1", "sih: error: unknown key 'zzz_qqq'"),
      raw(run_case("duplicate_key", "n: 40\nn: 50\n", "sih: error: duplicate key 'n'")),
      // ---- Types.
      run_case("string_for_integer", "n: abc", "sih: error: n: abc: must be an integer"),
      run_case("string_for_float", "lr: fast", "sih: error: lr: fast: must be a number"),
      run_case("quoted_number", "lr: '0.1'", "sih: error: lr: '0.1': must be a number"),
      run_case("list_for_unsweepable_key", "threads: [1, 2]",
               "sih: error: threads: [1, 2]: must be a single value (this key cannot be swept)"),
      run_case("list_for_sweep_key_in_run", "lr: [0.1, 1]",
               "sih: error: lr: [0.1, 1]: a list is only allowed in a sweep; use 'sih sweep'"),
      run_case("mapping_for_scalar", "lr: {value: 1}",
               "sih: error: lr: {value: 1}: must be a single value"),
      run_case("float_for_integer", "n: 2.5", "sih: error: n: 2.5: must be an integer"),
      run_case("exponent_for_integer", "n: 1e3", "sih: error: n: 1e3: must be an integer"),
      run_case("string_for_bool", "probe_weights: 'yes'",
               "sih: error: probe_weights: 'yes': must be true or false"),
      run_case("nan_value", "lr: .nan", "sih: error: lr: .nan: must be a finite number"),
      run_case("inf_value", "weight_decay: .inf",
               "sih: error: weight_decay: .inf: must be a finite number"),
      // ---- Ranges.
      run_case("n_zero", "n: 0", "sih: error: n: 0: must be > 0"),
      run_case("d_zero", "d: 0", "sih: error: d: 0: must be > 0"),
      run_case("h_negative", "h: -3", "sih: error: h: -3: must be > 0"),
      run_case("n_test_zero", "n_test: 0", "sih: error: n_test: 0: must be > 0"),
      run_case("batch_size_above_n", "batch_size: 41",
               "sih: error: batch_size: 41: must be <= n (40)"),
      run_case("batch_size_zero", "batch_size: 0", "sih: error: batch_size: 0: must be >= 1"),
      run_case("lr_zero", "lr: 0", "sih: error: lr: 0: must be > 0"),
      run_case("lr_negative", "lr: -0.5", "sih: error: lr: -0.5: must be > 0"),
      run_case("momentum_one", "optimizer: sgd\nmomentum: 1",
               "sih: error: momentum: 1: must be in [0, 1)"),
      run_case("momentum_negative", "momentum: -0.1",
               "sih: error: momentum: -0.1: must be in [0, 1)"),
      run_case("weight_decay_negative", "weight_decay: -1e-4",
               "sih: error: weight_decay: -1e-4: must be >= 0"),
      run_case("reg_lambda_negative", "reg_lambda: -0.01",
               "sih: error: reg_lambda: -0.01: must be >= 0"),
      run_case("label_noise_negative", "label_noise_std: -0.3",
               "sih: error: label_noise_std: -0.3: must be >= 0"),
      run_case("probe_freq_zero", "probe_freq_steps: 0",
               "sih: error: probe_freq_steps: 0: must be > 0"),
      run_case("num_epochs_zero", "num_epochs: 0", "sih: error: num_epochs: 0: must be > 0"),
      run_case("gamma_zero",
               "lr_scheduler_cls: StepLR\nlr_scheduler_kwargs: {step_size: 1, gamma: 0}",
               "sih: error: lr_scheduler_kwargs.gamma: 0: must be > 0"),
      run_case("step_size_zero",
               "lr_scheduler_cls: StepLR\nlr_scheduler_kwargs: {step_size: 0, gamma: 0.5}",
               "sih: error: lr_scheduler_kwargs.step_size: 0: must be > 0"),
      args_case("out_dir_empty", {"run", "{cfg}", "--set", "out_dir="},
                "sih: error: out_dir: null: must be a string"),
      // ---- Names.
      run_case("optimizer_unknown", "optimizer: lion",
               "sih: error: optimizer: 'lion': must be one of sgd, adam, adamw, rmsprop, signgd"),
      run_case("scheduler_unknown", "lr_scheduler_cls: OneCycleLR",
               "sih: error: lr_scheduler_cls: 'OneCycleLR': must be one of StepLR, "
               "CosineAnnealingLR, ExponentialLR, LinearLR"),
      run_case("L_three", "L: 3",
               "sih: error: L: 3: only L = 2 (a two-layer student) is supported"),
      run_case("precision_unknown", "precision: float16",
               "sih: error: precision: 'float16': must be one of float32, float64"),
      run_case("pl_bootstrap_negative", "pl_bootstrap: -1",
               "sih: error: pl_bootstrap: -1: must be >= 0"),
      // ---- Sweep lists.
      sweep_case("bulk-losses", "varying_param_not_a_list", "varying_param: n",
                 "sih: error: varying_param: 'n': n must be a list of values, got 40"),
      sweep_case("bulk-losses", "varying_param_missing", "reg_lambda: [0.1, 0.01]",
                 "sih: error: varying_param: missing: sih bulk-losses needs varying_param (one of "
                 "n, label_noise_std, reg_lambda, gamma)"),
      sweep_case("bulk-losses", "varying_param_unsupported", "varying_param: lr\nlr: [0.1, 1]",
                 "sih: error: varying_param: 'lr': must be one of n, label_noise_std, reg_lambda, "
                 "gamma"),
      sweep_case("bulk-losses", "empty_list_bulk_losses",
                 "varying_param: reg_lambda\nreg_lambda: []",
                 "sih: error: reg_lambda: []: must be a non-empty list"),
      sweep_case("bulk-lr", "empty_list_bulk_lr", "lr: []",
                 "sih: error: lr: []: must be a non-empty list"),
      sweep_case("bulk-lr", "duplicate_list_values", "lr: [0.1, 1, 0.1]",
                 "sih: error: lr: [0.1, 1, 0.1]: duplicate value 0.1 (each value is run once)"),
      sweep_case("bulk-lr", "duplicate_list_values_spelled_apart", "lr: [0.1, 1e-1]",
                 "sih: error: lr: [0.1, 1e-1]: duplicate value 1e-1 (each value is run once)"),
      sweep_case(
          "bulk-lr", "list_for_unswept_key", "lr: [0.1, 1]\nh: [8, 12]",
          "sih: error: h: [8, 12]: sih bulk-lr only sweeps over optimizer, lr; this key must "
          "be a single value"),
      sweep_case("bulk-lr", "bad_item_in_list", "lr: [0.1, -1]", "sih: error: lr: -1: must be > 0"),
      sweep_case("sweep", "sweep_unsweepable_key", "seed: [1, 2]",
                 "sih: error: seed: [1, 2]: this key cannot be swept; give a single value"),
      sweep_case("sweep", "sweep_init_from_list", "lr: [0.1, 1]\ninit_from: [x, y]",
                 "sih: error: init_from: [x, y]: this key cannot be swept; give a single value"),
      sweep_case("sweep", "sweep_unknown_key_list", "lrr: [0.1, 1]",
                 "sih: error: unknown key 'lrr' (did you mean 'lr'?)"),
      sweep_case("sweep", "sweep_bad_value_in_second_axis", "lr: [0.1, 1]\nn: [40, 0]",
                 "sih: error: n: 0: must be > 0"),
      sweep_case("sweep", "sweep_nested_list", "lr: [[0.1, 1]]",
                 "sih: error: lr: [[0.1, 1]]: list items must be single values"),
      // ---- Sizes that cannot fit in memory: refused with the figure, before any allocation.
      run_case("huge_n", "n: 1000000000\nd: 1000\nh: 1500",
               "sih: error: config needs about 64000.1 GB of memory (n=1000000000, d=1000, "
               "h=1500, float64); this machine has ",
               Match::kFragment),
      run_case("huge_h_times_d", "h: 10000000\nd: 10000000",
               "sih: error: config needs about 4800020.9 GB of memory (n=40, d=10000000, "
               "h=10000000, float64); this machine has ",
               Match::kFragment),
      sweep_case("bulk-lr", "huge_n_in_sweep", "n: 1000000000\nd: 1000\nh: 1500\nlr: [0.1, 1]",
                 "sih: error: config needs about 64000.1 GB of memory (n=1000000000, d=1000, "
                 "h=1500, float64); this machine has ",
                 Match::kFragment),
      // ---- init_from arrays.
      run_case("init_from_missing_folder", "init_from: {tmp}/nope",
               "sih: error: init_from: {tmp}/nope: not a folder"),
      with_setup(run_case("init_from_missing_array", init,
                          "sih: error: init_from: {init}: no y_test.npy or y_test.csv in this "
                          "folder"),
                 [&](const std::string& tmp) {
                   write_init(tmp + "/init");
                   fs::remove(tmp + "/init/y_test.csv");
                 }),
      with_setup(
          run_case("init_from_wrong_shape", init,
                   "sih: error: init_from: {init}/W0.csv: shape 8x12, expected h x d = 12x8"),
          [&](const std::string& tmp) {
            write_init(tmp + "/init");
            const MatD w = read_array(tmp + "/init/W0.csv");
            write_csv(tmp + "/init/W0.csv", w.transpose());
          }),
      with_setup(run_case("init_from_vector_too_short", init,
                          "sih: error: init_from: {init}/y_train.csv: shape 39x1, expected n x 1 "
                          "= 40x1"),
                 [&](const std::string& tmp) {
                   write_init(tmp + "/init");
                   const MatD y = read_array(tmp + "/init/y_train.csv");
                   write_csv(tmp + "/init/y_train.csv", y.topRows(39));
                 }),
      with_setup(
          run_case("init_from_non_numeric_cell", init,
                   "sih: error: {init}/X_train.csv: line 3, column 2: 'abc' is not a number"),
          [&](const std::string& tmp) {
            write_init(tmp + "/init");
            replace_csv_line(tmp + "/init/X_train.csv", 3, "1,abc,3,4,5,6,7,8");
          }),
      with_setup(
          run_case("init_from_nan_cell", init,
                   "sih: error: {init}/X_test.csv: NaN/Inf value at line 2, column 1 (inputs "
                   "must be finite)"),
          [&](const std::string& tmp) {
            write_init(tmp + "/init");
            replace_csv_line(tmp + "/init/X_test.csv", 2, "nan,1,2,3,4,5,6,7");
          }),
      with_setup(run_case("init_from_truncated_npy", init,
                          "sih: error: {init}/W0.npy: truncated: header says 12x8 float64 (768 "
                          "bytes of data), file has 668"),
                 [&](const std::string& tmp) {
                   write_init(tmp + "/init");
                   const std::string bytes = to_npy<double>(read_array(tmp + "/init/W0.csv"));
                   test::write_text(tmp + "/init/W0.npy", bytes.substr(0, bytes.size() - 100));
                 }),
      with_setup(
          run_case("init_from_too_large_for_float32", init + "precision: float32",
                   "sih: error: init_from: {init}/a0.csv: values too large for float32 (largest "
                   "|x| = 1e+300; the sum of squares must stay below 3.40282e+38)"),
          [&](const std::string& tmp) {
            write_init(tmp + "/init");
            replace_csv_line(tmp + "/init/a0.csv", 5, "1e300");
          }),
      with_setup(sweep_case("bulk-lr", "init_from_wrong_shape_in_sweep", init + "lr: [0.1, 1]",
                            "sih: error: init_from: {init}/W0.csv: shape 8x12, expected h x d = "
                            "12x8"),
                 [&](const std::string& tmp) {
                   write_init(tmp + "/init");
                   const MatD w = read_array(tmp + "/init/W0.csv");
                   write_csv(tmp + "/init/W0.csv", w.transpose());
                 }),
      // ---- out_dir. As root, permission bits do not stop writes: a path through a regular
      // file cannot be created by anyone.
      with_setup(
          args_case("out_dir_under_a_file", {"run", "{cfg}", "--set", "out_dir={tmp}/file.txt/out"},
                    "sih: error: out_dir: {tmp}/file.txt/out: cannot create folder: Not a "
                    "directory"),
          [](const std::string& tmp) { test::write_text(tmp + "/file.txt", "x\n"); }),
      with_setup(args_case("out_dir_under_a_file_sweep",
                           {"bulk-lr", "{cfg}", "--set", "out_dir={tmp}/file.txt/out", "--set",
                            "lr=[0.1, 1]"},
                           "sih: error: out_dir: {tmp}/file.txt/out/", Match::kFragment),
                 [](const std::string& tmp) { test::write_text(tmp + "/file.txt", "x\n"); }),
      with_setup(args_case("out_dir_is_a_file", {"run", "{cfg}", "--set", "out_dir={tmp}/file.txt"},
                           "sih: error: out_dir: {tmp}/file.txt: cannot create folder: Not a "
                           "directory"),
                 [](const std::string& tmp) { test::write_text(tmp + "/file.txt", "x\n"); }),
      with_setup(
          args_case("out_dir_is_a_file_sweep",
                    {"sweep", "{cfg}", "--set", "out_dir={tmp}/file.txt", "--set", "lr=[0.1, 1]"},
                    "sih: error: out_dir: {tmp}/file.txt/", Match::kFragment),
          [](const std::string& tmp) { test::write_text(tmp + "/file.txt", "x\n"); }),
      // ---- --out of reproduce and analyze: checked before any work.
      with_setup(args_case("reproduce_out_is_a_file", {"reproduce", "--out", "{tmp}/file.txt"},
                           "sih: error: --out: {tmp}/file.txt: is a file, not a folder"),
                 [](const std::string& tmp) { test::write_text(tmp + "/file.txt", "x\n"); }),
      with_setup(
          args_case("reproduce_out_under_a_file", {"reproduce", "--out", "{tmp}/file.txt/page"},
                    "sih: error: --out: {tmp}/file.txt/page: cannot create folder: "
                    "{tmp}/file.txt is a file"),
          [](const std::string& tmp) { test::write_text(tmp + "/file.txt", "x\n"); }),
      args_case("analyze_out_is_a_folder", {"analyze", "{cfg}", "--out", "{tmp}"},
                "sih: error: --out: {tmp}: is a folder, not a file"),
      with_setup(args_case("analyze_out_under_a_file",
                           {"analyze", "{cfg}", "--out", "{tmp}/file.txt/rows.csv"},
                           "sih: error: --out: {tmp}/file.txt/rows.csv: {tmp}/file.txt is a file, "
                           "not a folder"),
                 [](const std::string& tmp) { test::write_text(tmp + "/file.txt", "x\n"); }),
      args_case("analyze_out_in_missing_folder", {"analyze", "{cfg}", "--out", "{tmp}/no/rows.csv"},
                "sih: error: --out: {tmp}/no/rows.csv: no such folder {tmp}/no"),
      with_setup(
          args_case("analyze_plot_is_a_file", {"analyze", "{cfg}", "--plot", "{tmp}/file.txt"},
                    "sih: error: --plot: {tmp}/file.txt: is a file, not a folder"),
          [](const std::string& tmp) { test::write_text(tmp + "/file.txt", "x\n"); }),
      args_case("out_dir_in_proc", {"run", "{cfg}", "--set", "out_dir=/proc/sih-test-out"},
                "sih: error: out_dir: /proc/sih-test-out: cannot create folder: No such file or "
                "directory"),
      // ---- Arguments.
      args_case("set_without_equals", {"run", "{cfg}", "--set", "out_dir={out}", "--set", "lr"},
                "sih: error: --set 'lr': expected key=value"),
      args_case("set_empty_key", {"run", "{cfg}", "--set", "out_dir={out}", "--set", "=3"},
                "sih: error: --set '=3': empty key"),
      args_case("set_empty_key_part", {"run", "{cfg}", "--set", "out_dir={out}", "--set", "a..b=3"},
                "sih: error: --set 'a..b=3': empty part in key 'a..b'"),
      args_case("set_yaml_syntax", {"run", "{cfg}", "--set", "out_dir={out}", "--set", "lr=[0.1,"},
                "sih: error: --set 'lr=[0.1,': YAML syntax error at line 1, column 1: end of "
                "sequence flow not found"),
      args_case("set_through_a_value", {"run", "{cfg}", "--set", "out_dir={out}", "--set", "n.x=3"},
                "sih: error: --set 'n.x=3': 'n' holds a value, not a mapping"),
      args_case("set_unknown_key", {"run", "{cfg}", "--set", "out_dir={out}", "--set", "epochs=3"},
                "sih: error: unknown key 'epochs' (did you mean 'num_epochs'?)"),
      args_case("set_bad_value", {"run", "{cfg}", "--set", "out_dir={out}", "--set", "n=-1"},
                "sih: error: n: -1: must be > 0"),
      args_case(
          "shard_k_above_n",
          {"bulk-lr", "{cfg}", "--set", "out_dir={out}", "--set", "lr=[0.1, 1]", "--shard", "3/2"},
          "sih: error: --shard: '3/2': must be K/N with 1 <= K <= N (e.g. 2/4)"),
      args_case(
          "shard_zero",
          {"bulk-lr", "{cfg}", "--set", "out_dir={out}", "--set", "lr=[0.1, 1]", "--shard", "0/2"},
          "sih: error: --shard: '0/2': must be K/N with 1 <= K <= N (e.g. 2/4)"),
      args_case(
          "shard_no_slash",
          {"bulk-lr", "{cfg}", "--set", "out_dir={out}", "--set", "lr=[0.1, 1]", "--shard", "2"},
          "sih: error: --shard: '2': must be K/N with 1 <= K <= N (e.g. 2/4)"),
      args_case(
          "shard_not_numbers",
          {"bulk-lr", "{cfg}", "--set", "out_dir={out}", "--set", "lr=[0.1, 1]", "--shard", "a/b"},
          "sih: error: --shard: 'a/b': must be K/N with 1 <= K <= N (e.g. 2/4)"),
      args_case(
          "shard_of_zero",
          {"bulk-lr", "{cfg}", "--set", "out_dir={out}", "--set", "lr=[0.1, 1]", "--shard", "1/0"},
          "sih: error: --shard: '1/0': must be K/N with 1 <= K <= N (e.g. 2/4)"),
      args_case(
          "jobs_negative",
          {"bulk-lr", "{cfg}", "--set", "out_dir={out}", "--set", "lr=[0.1, 1]", "--jobs", "-1"},
          "sih: error: --jobs: -1: must be >= 0"),
      args_case(
          "jobs_too_many_sweep",
          {"sweep", "{cfg}", "--set", "out_dir={out}", "--set", "lr=[0.1, 1]", "--jobs", "100000"},
          "sih: error: --jobs: 100000: must be <= 1024 (0: from the cores and the work)"),
      args_case("jobs_too_many_bulk_losses",
                {"bulk-losses", "{cfg}", "--set", "out_dir={out}", "--set", "varying_param=n",
                 "--set", "n=[20, 40]", "--jobs", "1025"},
                "sih: error: --jobs: 1025: must be <= 1024 (0: from the cores and the work)"),
      args_case("jobs_too_many_reproduce", {"reproduce", "--out", "{out}", "--jobs", "100000"},
                "sih: error: --jobs: 100000: must be <= 1024 (0: from the cores and the work)"),
      args_case("jobs_too_many_analyze", {"analyze", "{cfg}", "--jobs", "100000"},
                "sih: error: --jobs: 100000: must be <= 1024 (0: from the cores and the work)"),
      // Squares beyond float64 in the Gram product: refused before LAPACK, on the mapped .npy
      // path and on the general one (CSV).
      with_setup(args_case("analyze_values_overflow_npy", {"analyze", "{tmp}/big.npy"},
                           "sih: error: {tmp}/big.npy: tensor big: value 1e+300 at flat index 7: "
                           "too large (the Gram product sums 12 squares, which overflow float64 "
                           "beyond |value| 3.87e+153; rescale the tensor)"),
                 [](const std::string& tmp) {
                   MatD m = MatD::Ones(12, 10);
                   m(0, 7) = 1e300;
                   write_npy(tmp + "/big.npy", m);
                 }),
      with_setup(args_case("analyze_values_overflow_csv", {"analyze", "{tmp}/big.csv"},
                           "sih: error: {tmp}/big.csv: tensor big: value -2e+200 at flat index 11: "
                           "too large (the Gram product sums 12 squares, which overflow float64 "
                           "beyond |value| 3.87e+153; rescale the tensor)"),
                 [](const std::string& tmp) {
                   std::string text;
                   for (int r = 0; r < 12; ++r) {
                     for (int c = 0; c < 10; ++c)
                       text += std::string(c ? "," : "") + (r == 1 && c == 1 ? "-2e200" : "0.5");
                     text += "\n";
                   }
                   test::write_text(tmp + "/big.csv", text);
                 }),
      args_case("threads_too_many_set",
                {"run", "{cfg}", "--set", "out_dir={out}", "--set", "threads=100000"},
                "sih: error: threads: 100000: must be <= 1024"),
      args_case("threads_too_many_sweep",
                {"sweep", "{cfg}", "--set", "out_dir={out}", "--set", "lr=[0.1, 1]", "--set",
                 "threads=1025"},
                "sih: error: threads: 1025: must be <= 1024"),
      args_case(
          "unknown_subcommand", {"frobnicate", "{cfg}"},
          "sih: error: unknown command 'frobnicate' (commands: run, config, sweep, bulk-lr, "
          "bulk-losses, merge, plot, report, reproduce, analyze, completion; see sih --help)"),
      args_case("sweep_max_runs", {"sweep", "{cfg}", "--set", "lr=[0.1, 1, 10]", "--max-runs", "2"},
                "sih: error: sweep: 3 runs (3 grid points x repeat 1): more than --max-runs 2 "
                "(raise it to run them all)"),
      args_case("sweep_max_runs_zero", {"sweep", "{cfg}", "--max-runs", "0"},
                "sih: error: --max-runs: 0: must be >= 1"),
      args_case("no_subcommand", {}, "sih: error: A subcommand is required (see sih --help)"),
      args_case("missing_config_argument", {"run"},
                "sih: error: config is required (see sih --help)"),
      args_case("unknown_option", {"run", "{cfg}", "--set", "out_dir={out}", "--bogus"},
                "sih: error: The following argument was not expected: --bogus (see sih --help)"),
      args_case("merge_not_a_sweep", {"merge", "{tmp}"},
                "sih: error: {tmp}: not a sih sweep folder (no config.json)"),
      run_case("config_subcommand_validates", "lr: -1", "sih: error: lr: -1: must be > 0"),
  };
  cases.back().args = {"config", "{cfg}"};
  return cases;
}

}  // namespace

TEST(CliErrors, EveryBadInputIsOneLineExitTwoAndWritesNothing) {
  const std::vector<Case> cases = all_cases();
  ASSERT_GE(cases.size(), 40u);
  std::vector<std::string> names;
  for (const Case& c : cases) {
    SCOPED_TRACE("case " + c.name);
    ASSERT_EQ(std::count(names.begin(), names.end(), c.name), 0) << "duplicate case name";
    names.push_back(c.name);
    test::TempDir tmp;
    const std::string cfg = tmp / "config.yml";
    const std::string out = tmp / "out";
    const std::string init = tmp / "init";
    auto subst = [&](std::string s) {
      s = replace_all(s, "{cfg}", cfg);
      s = replace_all(s, "{out}", out);
      s = replace_all(s, "{init}", init);
      return replace_all(s, "{tmp}", tmp.path());
    };
    if (c.setup) c.setup(tmp.path());
    test::write_text(cfg, subst(c.raw ? c.yaml : merged(c.yaml)));
    std::vector<std::string> args;
    for (const auto& a : c.args) args.push_back(subst(a));
    // Everything that exists before the command: the command must add nothing anywhere in tmp.
    const std::string before = listing(tmp.path());

    std::ostringstream so, se;
    const int status = run_cli(args, so, se);
    const std::string err = se.str();
    const std::string want = subst(c.message);

    EXPECT_EQ(status, c.status) << "stderr: " << err;
    EXPECT_EQ(so.str(), "") << "stdout must stay empty";
    if (err.empty()) {
      ADD_FAILURE() << "no error message";
      continue;
    }
    EXPECT_EQ(err.back(), '\n');
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "not one line:\n" << err;
    const std::string line = err.substr(0, err.size() - 1);
    if (std::getenv("SIH_SHOW")) std::cout << c.name << " | " << line << "\n";
    if (c.match == Match::kExact)
      EXPECT_EQ(line, want);
    else
      EXPECT_EQ(line.rfind(want, 0), 0u)
          << "expected to start with: " << want << "\nactual: " << line;
    EXPECT_EQ(listing(tmp.path()), before) << "the command wrote files";
    EXPECT_FALSE(fs::exists(out)) << "out_dir was created";
  }
  std::cout << "[          ] " << cases.size() << " bad-input cases\n";
}

// The error line of a case is stable: the same input gives the same message twice (no
// addresses, times or pids in it).
TEST(CliErrors, MessagesAreDeterministic) {
  test::TempDir tmp;
  test::write_text(tmp / "c.yml", merged("learning_rate: 0.1"));
  std::ostringstream o1, e1, o2, e2;
  EXPECT_EQ(run_cli({"run", tmp / "c.yml", "--set", "out_dir=" + (tmp / "out")}, o1, e1), 2);
  EXPECT_EQ(run_cli({"run", tmp / "c.yml", "--set", "out_dir=" + (tmp / "out")}, o2, e2), 2);
  EXPECT_EQ(e1.str(), e2.str());
}

// Help names the program (CLI11 prints an empty name unless given one) and points only to
// documents that ship with the repository.
TEST(CliHelp, UsageNamesSihAndHelpCitesRepositoryDocs) {
  std::ostringstream out, err;
  EXPECT_EQ(run_cli({"--help"}, out, err), 0);
  EXPECT_NE(out.str().find("Usage: sih [OPTIONS] SUBCOMMAND"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("SPEC"), std::string::npos) << out.str();
  std::ostringstream sweep_out, sweep_err;
  EXPECT_EQ(run_cli({"bulk-lr", "--help"}, sweep_out, sweep_err), 0);
  EXPECT_NE(sweep_out.str().find("sih bulk-lr"), std::string::npos) << sweep_out.str();
  EXPECT_EQ(sweep_out.str().find("SPEC"), std::string::npos) << sweep_out.str();
}
