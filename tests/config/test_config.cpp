// Tests of the config module: the authors' configs load with the values they hold, every rule
// of the field table refuses what it should with the message a user sees, and the derived
// outputs (JSON, id, docs, memory estimate) are stable.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "sih/config/config_fields.hpp"
#include "sih/config/config_input.hpp"
#include "sih/config/dotted_key.hpp"
#include "sih/core/config.hpp"
#include "sih/core/memory_model.hpp"

#ifndef SIH_SOURCE_DIR
#define SIH_SOURCE_DIR "."
#endif

namespace sih {
namespace {

namespace fs = std::filesystem;

std::string config_path(const std::string& name) {
  return std::string(SIH_SOURCE_DIR) + "/configs/" + name;
}

// The InputError message of `action`, or "" when it succeeds.
std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// What a run does with a config file's text: load, validate, check memory (against a fixed
// 64 GB so the message does not depend on this machine).
std::string error_for_text(const std::string& yaml) {
  return error_of([&] {
    Config config = config_from_yaml(load_yaml_string(yaml, "config.yml"));
    check_memory_fits(config, 64'000'000'000ULL);
  });
}

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("sih_test_config_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::string file = (path_ / name).string();
    std::ofstream(file) << text;
    return file;
  }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

// Sets a dotted key to the first item of its list, as a sweep does for one point.
void take_first_item(YAML::Node& root, const std::string& dotted) {
  YAML::Node cursor = root;
  std::size_t start = 0;
  for (std::size_t dot; (dot = dotted.find('.', start)) != std::string::npos; start = dot + 1) {
    cursor.reset(cursor[dotted.substr(start, dot - start)]);
  }
  const std::string last = dotted.substr(start);
  YAML::Node first = YAML::Clone(cursor[last][0]);
  cursor[last] = first;
}

// ---- The authors' configs ------------------------------------------------------------------

TEST(ConfigFiles, MainLoadsWithTheValuesOfTheFile) {
  Config c = config_from_yaml(load_yaml_file(config_path("main.yml")));
  EXPECT_EQ(c.L, 2);
  EXPECT_EQ(c.n, 2000);
  EXPECT_EQ(c.batch_size, 2000);
  EXPECT_EQ(c.n_test, 200);
  EXPECT_EQ(c.h, 1500);
  EXPECT_EQ(c.d, 1000);
  EXPECT_DOUBLE_EQ(c.label_noise_std, 0.3);
  EXPECT_EQ(optimizer_name(c.optimizer), "adam");
  EXPECT_DOUBLE_EQ(c.lr, 1.0);
  EXPECT_DOUBLE_EQ(c.reg_lambda, 0.01);
  EXPECT_EQ(c.num_epochs, 10);
  EXPECT_EQ(c.probe_freq_steps, 10);
  EXPECT_TRUE(c.probe_weights);
  EXPECT_FALSE(c.plot_overlaps);
  EXPECT_TRUE(c.fix_last_layer);
  EXPECT_FALSE(c.lightweight);  // absent: the reference's context.get("lightweight", False)
  EXPECT_EQ(c.lr_scheduler, ScheduleKind::kNone);
  EXPECT_EQ(c.total_steps(), 10);
  EXPECT_DOUBLE_EQ(c.lr_at(7), 1.0);
}

TEST(ConfigFiles, LrScheduleLoadsTheSchedulerKwargs) {
  Config c = config_from_yaml(load_yaml_file(config_path("main_lr_schedule.yml")));
  EXPECT_EQ(c.lr_scheduler, ScheduleKind::kStepLR);
  EXPECT_EQ(c.step_size, 1);
  EXPECT_DOUBLE_EQ(c.gamma, 0.6);
  EXPECT_EQ(c.num_epochs, 1);
  EXPECT_EQ(c.probe_freq_steps, 1);
  EXPECT_DOUBLE_EQ(c.momentum, 0.0);
  EXPECT_DOUBLE_EQ(c.weight_decay, 0.0);
}

struct SweepFile {
  std::string name;
  std::vector<std::string> list_keys;
  std::string run_error;  // config_from_yaml(kRun) on the file as written
};

TEST(ConfigFiles, SweepConfigsNameTheirSweepAndLoadOnceSubstituted) {
  const std::vector<SweepFile> files = {
      {"bulk_lr.yml",
       {"optimizer", "lr"},
       "optimizer: ['sgd', 'adam']: a list is only allowed in a sweep; use 'sih sweep'"},
      {"bulk_losses_vary_n.yml",
       {"n"},
       "n: [500, 2000, 4000, 8000]: a list is only allowed in a sweep; use 'sih sweep'"},
      {"bulk_losses_vary_label_noise_std.yml",
       {"label_noise_std"},
       "label_noise_std: [0.1, 0.3, 0.5, 0.7]: a list is only allowed in a sweep; use "
       "'sih sweep'"},
      {"bulk_losses_vary_reg_lambda.yml",
       {"reg_lambda"},
       "reg_lambda: [0.1, 0.01, 0.001, 0.0001]: a list is only allowed in a sweep; use "
       "'sih sweep'"},
      {"bulk_losses_vary_step_lr_gamma.yml",
       {"lr_scheduler_kwargs.gamma"},
       "lr_scheduler_kwargs.gamma: [0.2, 0.4, 0.6, 0.8]: a list is only allowed in a sweep; use "
       "'sih sweep'"},
  };
  for (const SweepFile& file : files) {
    SCOPED_TRACE(file.name);
    YAML::Node root = load_yaml_file(config_path(file.name));
    EXPECT_EQ(list_keys(root), file.list_keys);
    EXPECT_EQ(error_of([&] { config_from_yaml(root); }), file.run_error);
    for (const std::string& key : list_keys(root)) take_first_item(root, key);
    EXPECT_TRUE(list_keys(root).empty());
    EXPECT_EQ(error_of([&] { config_from_yaml(root); }), "");
  }
}

TEST(ConfigFiles, SubstitutedSweepValuesAreTheFirstItems) {
  YAML::Node lr = load_yaml_file(config_path("bulk_lr.yml"));
  for (const std::string& key : list_keys(lr)) take_first_item(lr, key);
  Config c = config_from_yaml(lr);
  EXPECT_EQ(optimizer_name(c.optimizer), "sgd");
  EXPECT_DOUBLE_EQ(c.lr, 0.001);
  EXPECT_EQ(c.repeat, 5);
  EXPECT_TRUE(c.lightweight);

  YAML::Node n = load_yaml_file(config_path("bulk_losses_vary_n.yml"));
  take_first_item(n, "n");
  Config cn = config_from_yaml(n);
  EXPECT_EQ(cn.varying_param, "n");
  EXPECT_EQ(cn.n, 500);
  EXPECT_EQ(cn.batch_size, 500);  // absent: follows n

  YAML::Node gamma = load_yaml_file(config_path("bulk_losses_vary_step_lr_gamma.yml"));
  take_first_item(gamma, "lr_scheduler_kwargs.gamma");
  Config cg = config_from_yaml(gamma);
  EXPECT_EQ(cg.varying_param, "gamma");
  EXPECT_EQ(cg.lr_scheduler, ScheduleKind::kStepLR);
  EXPECT_EQ(cg.step_size, 1);
  EXPECT_DOUBLE_EQ(cg.gamma, 0.2);
}

TEST(ConfigFiles, ListWordingDependsOnWhetherTheKeyIsSweepable) {
  YAML::Node n = load_yaml_file(config_path("bulk_losses_vary_n.yml"));
  EXPECT_EQ(error_of([&] { config_from_yaml(n); }),
            "n: [500, 2000, 4000, 8000]: a list is only allowed in a sweep; use 'sih sweep'");
  YAML::Node threads = load_yaml_string("threads: [1, 2]", "config.yml");
  EXPECT_EQ(error_of([&] { config_from_yaml(threads); }),
            "threads: [1, 2]: must be a single value (this key cannot be swept)");
}

// ---- Bad input -------------------------------------------------------------------------------

struct BadCase {
  std::string yaml;
  std::string message;
};

TEST(ConfigErrors, EveryBadInputGetsItsOneLineMessage) {
  const std::vector<BadCase> cases = {
      // Wrong types.
      {"n: abc", "n: abc: must be an integer"},
      {"lr: fast", "lr: fast: must be a number"},
      {"n: 2.5", "n: 2.5: must be an integer"},
      {"n: 1e3", "n: 1e3: must be an integer"},
      {"n_test: 010",
       "n_test: 010: must be written without leading zeros (YAML 1.1 reads them as octal)"},
      {"n: 2000.0", "n: 2000.0: must be an integer"},
      {"n: '2000'", "n: '2000': must be an integer"},
      {"lr: '1'", "lr: '1': must be a number"},
      {"lr:", "lr: null: must be a number"},
      {"lr: 0x10", "lr: 0x10: must be a number"},
      {"lr: .nan", "lr: .nan: must be a finite number"},
      {"lr: -.inf", "lr: -.inf: must be a finite number"},
      {"lr: 1e999", "lr: 1e999: must be a finite number"},
      {"enable_weight_normalization: 1", "enable_weight_normalization: 1: must be true or false"},
      {"probe_weights: 'true'", "probe_weights: 'true': must be true or false"},
      {"lr: [0.001, 0.01]",
       "lr: [0.001, 0.01]: a list is only allowed in a sweep; use 'sih sweep'"},
      {"optimizer: [sgd, adam]",
       "optimizer: [sgd, adam]: a list is only allowed in a sweep; use 'sih sweep'"},
      {"reg_lambda: [0.1, 0.01]",
       "reg_lambda: [0.1, 0.01]: a list is only allowed in a sweep; use 'sih sweep'"},
      {"h: [1, 2]", "h: [1, 2]: a list is only allowed in a sweep; use 'sih sweep'"},
      {"out_dir: [a, b]", "out_dir: [a, b]: must be a single value (this key cannot be swept)"},
      {"lr: {value: 1}", "lr: {value: 1}: must be a single value"},
      {"lr_scheduler_kwargs: 5",
       "lr_scheduler_kwargs: 5: must be a mapping with keys step_size, gamma, T_max, eta_min, "
       "start_factor, end_factor, total_iters"},
      {"n: 99999999999999999999", "n: 99999999999999999999: must be <= 9223372036854775807"},
      {"threads: 5000000000", "threads: 5000000000: must be <= 2147483647"},
      // Ranges.
      {"n: 0", "n: 0: must be > 0"},
      {"d: -5", "d: -5: must be > 0"},
      {"h: 0", "h: 0: must be > 0"},
      {"n_test: 0", "n_test: 0: must be > 0"},
      {"batch_size_test: -1", "batch_size_test: -1: must be > 0"},
      {"batch_size: 4000", "batch_size: 4000: must be <= n (2000)"},
      {"n: 500\nbatch_size: 501", "batch_size: 501: must be <= n (500)"},
      {"batch_size: 0", "batch_size: 0: must be >= 1"},
      {"lr: -1", "lr: -1: must be > 0"},
      {"lr: 0", "lr: 0: must be > 0"},
      {"lr: 1e-400", "lr: 1e-400: must be > 0"},
      {"momentum: 1", "momentum: 1: must be in [0, 1)"},
      {"momentum: -0.1", "momentum: -0.1: must be in [0, 1)"},
      {"weight_decay: -1e-4", "weight_decay: -1e-4: must be >= 0"},
      {"reg_lambda: -0.01", "reg_lambda: -0.01: must be >= 0"},
      {"label_noise_std: -0.3", "label_noise_std: -0.3: must be >= 0"},
      {"probe_freq_steps: 0", "probe_freq_steps: 0: must be > 0"},
      {"num_epochs: 0", "num_epochs: 0: must be > 0"},
      {"repeat: 0", "repeat: 0: must be > 0"},
      {"seed: -1", "seed: -1: must be >= 0"},
      {"threads: -2", "threads: -2: must be >= 0"},
      {"lr_scheduler_cls: StepLR\nlr_scheduler_kwargs: {step_size: 1, gamma: 0}",
       "lr_scheduler_kwargs.gamma: 0: must be > 0"},
      {"lr_scheduler_cls: StepLR\nlr_scheduler_kwargs:\n  step_size: 0\n  gamma: 0.5",
       "lr_scheduler_kwargs.step_size: 0: must be > 0"},
      {"out_dir: ''", "out_dir: '': must not be empty"},
      // Unsupported choices.
      {"optimizer: 'lion'", "optimizer: 'lion': must be one of sgd, adam, adamw, rmsprop, signgd"},
      {"optimizer: Adam", "optimizer: 'Adam': must be one of sgd, adam, adamw, rmsprop, signgd"},
      {"lr_scheduler_cls: OneCycleLR",
       "lr_scheduler_cls: 'OneCycleLR': must be one of StepLR, CosineAnnealingLR, "
       "ExponentialLR, LinearLR"},
      {"L: 3", "L: 3: only L = 2 (a two-layer student) is supported"},
      {"pl_bootstrap: -1", "pl_bootstrap: -1: must be >= 0"},
      {"precision: float16", "precision: 'float16': must be one of float32, float64"},
      {"probe_feature_scaling: modle",
       "probe_feature_scaling: 'modle': must be one of reference, model"},
      {"varying_param: lr",
       "varying_param: 'lr': must be one of n, label_noise_std, reg_lambda, gamma"},
      // Table order decides which of several problems is reported.
      {"lr: -1\nL: 3", "L: 3: only L = 2 (a two-layer student) is supported"},
      // Keys.
      {"learning_rate: 0.1", "unknown key 'learning_rate' (did you mean 'lr'?)"},
      {"num_epoch: 3", "unknown key 'num_epoch' (did you mean 'num_epochs'?)"},
      {"epochs: 3", "unknown key 'epochs' (did you mean 'num_epochs'?)"},
      {"Lr: 3", "unknown key 'Lr' (did you mean 'lr'?)"},
      {"gamma: 0.5", "unknown key 'gamma' (did you mean 'lr_scheduler_kwargs.gamma'?)"},
      {"lr_scheduler_kwarg: {gamma: 0.5}",
       "unknown key 'lr_scheduler_kwarg' (did you mean 'lr_scheduler_kwargs'?)"},
      {"lr_scheduler_kwargs: {gama: 0.5}",
       "unknown key 'lr_scheduler_kwargs.gama' (did you mean 'lr_scheduler_kwargs.gamma'?)"},
      {"zzz_qqq: 1", "unknown key 'zzz_qqq'"},
      {"n: 100\nn: 200", "duplicate key 'n'"},
      // The file as a whole.
      {"n: 2000\nd: 1000\nh: x: 1",
       "config.yml: YAML syntax error at line 3, column 5: illegal map value"},
      // yaml-cpp marks an unclosed flow sequence at the start of its line.
      {"n: [1, 2",
       "config.yml: YAML syntax error at line 1, column 1: end of sequence flow not found"},
      // yaml-cpp 0.7's LoadAll would collect empty documents here until memory ran out.
      {",2,5", "config.yml: YAML syntax error at line 1, column 1: unexpected ','"},
      {"n: 1\n---\n,", "config.yml: YAML syntax error at line 3, column 1: unexpected ','"},
      {"- n: 1\n- d: 2", "config.yml: top level must be a mapping of keys to values"},
      {"just a sentence", "config.yml: top level must be a mapping of keys to values"},
      {"", "config.yml: is empty"},
      {"# only a comment\n", "config.yml: is empty"},
      {"n: 1\n---\nd: 2", "config.yml: holds 2 YAML documents (separated by ---); expected one"},
      // Memory: 4 bytes x 800009750000 elements + 64 MiB of fixed overhead.
      {"n: 100000000",
       "config needs about 3200.1 GB of memory (n=100000000, d=1000, h=1500, float32); this "
       "machine has 64.0 GB available"},
  };
  ASSERT_GE(cases.size(), 30u);
  for (const BadCase& c : cases) {
    EXPECT_EQ(error_for_text(c.yaml), c.message) << "config text:\n" << c.yaml;
  }
}

TEST(ConfigErrors, FileProblemsNameTheFile) {
  TempDir dir;
  const std::string missing = dir.path() + "/config.yml";
  EXPECT_EQ(error_of([&] { load_yaml_file(missing); }),
            missing + ": cannot open: No such file or directory");
  EXPECT_EQ(error_of([&] { load_yaml_file(dir.path()); }),
            dir.path() + ": is a directory, not a config file");
  const std::string empty = dir.write("empty.yml", "");
  EXPECT_EQ(error_of([&] { load_yaml_file(empty); }), empty + ": is empty");
  const std::string broken = dir.write("broken.yml", "n: 2000\nlr: [1,\n");
  std::string message = error_of([&] { load_yaml_file(broken); });
  EXPECT_EQ(message.rfind(broken + ": YAML syntax error at line ", 0), 0u) << message;
  EXPECT_NE(message.find(", column "), std::string::npos) << message;
  const std::string good = dir.write("good.yml", "n: 100\nlr: 1e-3\n");
  EXPECT_EQ(config_from_yaml(load_yaml_file(good)).lr, 1e-3);
}

TEST(ConfigErrors, DeepNestingIsAnInputError) {
  std::string message = error_for_text("n: " + std::string(5000, '['));
  EXPECT_EQ(message.rfind("config.yml: YAML", 0), 0u) << message;
}

TEST(ConfigErrors, ThisMachineRefusesAHundredMillionSamples) {
  if (!std::ifstream("/proc/meminfo")) GTEST_SKIP() << "no /proc/meminfo";
  Config c = config_from_yaml(load_yaml_string("n: 100000000", "config.yml"));
  std::string message = error_of([&] { check_memory_fits(c); });
  EXPECT_EQ(message.rfind("config needs about 3200.1 GB of memory (n=100000000, d=1000, h=1500, "
                          "float32); this machine has ",
                          0),
            0u)
      << message;
  Config small = config_from_yaml(load_yaml_string("n: 100\nd: 10\nh: 10", "config.yml"));
  EXPECT_EQ(error_of([&] { check_memory_fits(small); }), "");
}

// ---- Accepted spellings ----------------------------------------------------------------------

TEST(ConfigValues, NumbersAndBooleansInTheirYamlSpellings) {
  Config c = config_from_yaml(load_yaml_string(
      "lr: 1e-3\nmomentum: .5\nweight_decay: +2E-2\nreg_lambda: 0\nn: +300\nbatch_size: 100\n"
      "fix_last_layer: False\nprobe_weights: yes\noptimizer: sgd\nprecision: float64\n"
      "seed: 18446744073709551615\nlr_scheduler_cls: ~\ninit_from: 'runs/a'\n"
      "label_noise_std: 5.\n",
      "config.yml"));
  EXPECT_DOUBLE_EQ(c.lr, 1e-3);
  EXPECT_DOUBLE_EQ(c.momentum, 0.5);
  EXPECT_DOUBLE_EQ(c.weight_decay, 0.02);
  EXPECT_DOUBLE_EQ(c.reg_lambda, 0.0);
  EXPECT_EQ(c.n, 300);
  EXPECT_EQ(c.batch_size, 100);
  EXPECT_EQ(c.steps_per_epoch(), 3);
  EXPECT_FALSE(c.fix_last_layer);
  EXPECT_TRUE(c.probe_weights);
  EXPECT_EQ(optimizer_name(c.optimizer), "sgd");
  EXPECT_EQ(c.precision, Precision::kFloat64);
  EXPECT_EQ(c.seed, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(c.lr_scheduler, ScheduleKind::kNone);
  EXPECT_EQ(c.init_from, "runs/a");
  EXPECT_DOUBLE_EQ(c.label_noise_std, 5.0);
}

TEST(ConfigValues, NegativeZeroIsZero) {
  Config c = config_from_yaml(load_yaml_string("weight_decay: -0.0", "config.yml"));
  EXPECT_FALSE(std::signbit(c.weight_decay));
  EXPECT_EQ(config_id(c), config_id(config_from_yaml(YAML::Node())));
}

TEST(ConfigValues, EmptyConfigIsAllDefaults) {
  Config c = config_from_yaml(YAML::Node());
  EXPECT_EQ(c.n, 2000);
  EXPECT_EQ(c.batch_size, 2000);
  EXPECT_EQ(optimizer_name(c.optimizer), "adam");
  EXPECT_EQ(c.out_dir, "out");
}

TEST(ConfigValues, SchedulerKwargsWithoutSchedulerAreAccepted) {
  Config c = config_from_yaml(
      load_yaml_string("lr_scheduler_kwargs: {step_size: 3, gamma: 0.5}", "config.yml"));
  EXPECT_EQ(c.lr_scheduler, ScheduleKind::kNone);
  EXPECT_DOUBLE_EQ(c.lr_at(100), c.lr);
}

// ---- --set -------------------------------------------------------------------------------------

TEST(ApplyOverride, ScalarListAndNestedKeys) {
  YAML::Node root = load_yaml_file(config_path("main.yml"));
  apply_override(root, "lr=0.5");
  apply_override(root, "optimizer=sgd");
  apply_override(root, "lr_scheduler_cls=StepLR");
  apply_override(root, "lr_scheduler_kwargs.gamma=0.5");
  apply_override(root, " seed = 7");
  Config c = config_from_yaml(root);
  EXPECT_DOUBLE_EQ(c.lr, 0.5);
  EXPECT_EQ(optimizer_name(c.optimizer), "sgd");
  EXPECT_EQ(c.lr_scheduler, ScheduleKind::kStepLR);
  EXPECT_DOUBLE_EQ(c.gamma, 0.5);
  EXPECT_EQ(c.step_size, 1);
  EXPECT_EQ(c.seed, 7u);

  apply_override(root, "lr=[0.1, 1]");
  EXPECT_EQ(list_keys(root), std::vector<std::string>{"lr"});
  EXPECT_EQ(error_of([&] { config_from_yaml(root); }),
            "lr: [0.1, 1]: a list is only allowed in a sweep; use 'sih sweep'");

  YAML::Node empty;
  apply_override(empty, "lr_scheduler_kwargs.step_size=4");
  EXPECT_EQ(config_from_yaml(empty).step_size, 4);
}

TEST(ApplyOverride, BadAssignments) {
  YAML::Node root = load_yaml_file(config_path("main.yml"));
  const std::vector<BadCase> cases = {
      {"lr", "--set 'lr': expected key=value"},
      {"=3", "--set '=3': empty key"},
      {"lr_scheduler_kwargs..gamma=1",
       "--set 'lr_scheduler_kwargs..gamma=1': empty part in key 'lr_scheduler_kwargs..gamma'"},
      {"lr=[1,",
       "--set 'lr=[1,': YAML syntax error at line 1, column 1: end of sequence flow not found"},
      {"lr.x=1", "--set 'lr.x=1': 'lr' holds a value, not a mapping"},
      {"lr=,", "--set 'lr=,': YAML syntax error at line 1, column 1: unexpected ','"},
      {"lr=1\n---\n2", "--set 'lr=1\n---\n2': the value holds more than one YAML document"},
  };
  for (const BadCase& c : cases) {
    EXPECT_EQ(error_of([&] { apply_override(root, c.yaml); }), c.message);
  }
  apply_override(root, "lr_scheduler_kwargs.gama=0.5");
  EXPECT_EQ(error_of([&] { config_from_yaml(root); }),
            "unknown key 'lr_scheduler_kwargs.gama' (did you mean 'lr_scheduler_kwargs.gamma'?)");
}

// ---- The dotted-key walker ---------------------------------------------------------------------

TEST(DottedKey, PartsAndYamlWalk) {
  EXPECT_EQ(key_parts("lr_scheduler_kwargs.gamma"),
            (std::vector<std::string>{"lr_scheduler_kwargs", "gamma"}));
  EXPECT_EQ(key_parts("lr"), std::vector<std::string>{"lr"});
  EXPECT_EQ(key_parts("a..b"), (std::vector<std::string>{"a", "", "b"}));

  YAML::Node root = YAML::Load("{lr: 0.5, lr_scheduler_kwargs: {gamma: 0.9}}");
  EXPECT_EQ(yaml_at(root, "lr_scheduler_kwargs.gamma").as<double>(), 0.9);
  EXPECT_EQ(yaml_at(root, "lr").as<double>(), 0.5);
  EXPECT_FALSE(yaml_at(root, "lr_scheduler_kwargs.step_size").IsDefined());
  EXPECT_FALSE(yaml_at(root, "lr.x").IsDefined());  // a parent that holds a value
  EXPECT_FALSE(yaml_at(root, "adam_betas.beta1").IsDefined());
  // Looking up a missing key adds nothing to the tree.
  EXPECT_EQ(root.size(), 2u);
  EXPECT_EQ(root["lr_scheduler_kwargs"].size(), 1u);

  yaml_set(root, "lr_scheduler_kwargs.step_size", YAML::Node(4));
  yaml_set(root, "adam_betas.beta1", YAML::Node(0.8));
  yaml_set(root, "lr", YAML::Node(0.25));
  EXPECT_EQ(yaml_at(root, "lr_scheduler_kwargs.step_size").as<int>(), 4);
  EXPECT_EQ(yaml_at(root, "lr_scheduler_kwargs.gamma").as<double>(), 0.9);
  EXPECT_EQ(yaml_at(root, "adam_betas.beta1").as<double>(), 0.8);
  EXPECT_EQ(yaml_at(root, "lr").as<double>(), 0.25);
}

TEST(DottedKey, JsonWalk) {
  nlohmann::json j = {{"lr", 0.5}, {"lr_scheduler_kwargs", {{"gamma", 0.9}}}};
  ASSERT_NE(json_find(j, "lr_scheduler_kwargs.gamma"), nullptr);
  EXPECT_EQ(*json_find(j, "lr_scheduler_kwargs.gamma"), 0.9);
  EXPECT_EQ(*json_find(j, "lr"), 0.5);
  EXPECT_EQ(json_find(j, "lr_scheduler_kwargs.step_size"), nullptr);
  EXPECT_EQ(json_find(j, "lr.x"), nullptr);
  EXPECT_EQ(json_find(j, "adam_betas.beta1"), nullptr);

  json_set(j, "adam_betas.beta1", 0.8);
  json_set(j, "lr_scheduler_kwargs.step_size", 4);
  EXPECT_EQ(
      j.dump(),
      R"({"adam_betas":{"beta1":0.8},"lr":0.5,"lr_scheduler_kwargs":{"gamma":0.9,"step_size":4}})");
  json_erase(j, "lr_scheduler_kwargs.gamma");
  json_erase(j, "lr");
  json_erase(j, "missing.key");
  json_erase(j, "adam_betas.beta2");
  EXPECT_EQ(j.dump(), R"({"adam_betas":{"beta1":0.8},"lr_scheduler_kwargs":{"step_size":4}})");
}

// ---- Derived outputs ---------------------------------------------------------------------------

TEST(ConfigJson, HoldsEveryFieldWithDefaultsResolved) {
  Config c = config_from_yaml(load_yaml_file(config_path("main_lr_schedule.yml")));
  nlohmann::json j = config_to_json(c);
  EXPECT_EQ(j["batch_size"], 2000);
  EXPECT_EQ(j["lr_scheduler_cls"], "StepLR");
  EXPECT_EQ(j["lr_scheduler_kwargs"]["gamma"], 0.6);
  EXPECT_EQ(j["lr_scheduler_kwargs"]["step_size"], 1);
  EXPECT_EQ(j["precision"], "float32");
  EXPECT_EQ(j["probe_feature_scaling"], "reference");
  EXPECT_TRUE(j["varying_param"].is_null());
  EXPECT_TRUE(j["init_from"].is_null());
  // 48 Config members; the 7 lr_scheduler_kwargs nest in one object, the 2 adam_betas in another.
  EXPECT_EQ(j.size(), 43u);
  EXPECT_EQ(j["lr_scheduler_kwargs"].size(), 7u);
  EXPECT_EQ(j["adam_betas"]["beta2"], 0.999);
  EXPECT_EQ(j["activation"], "tanh");
  EXPECT_EQ(j["teacher"], "softplus");

  Config defaults;  // batch_size 0 means "= n"
  EXPECT_EQ(config_to_json(defaults)["batch_size"], 2000);
  EXPECT_TRUE(config_to_json(defaults)["lr_scheduler_cls"].is_null());
}

TEST(ConfigJson, RoundTripsThroughYaml) {
  Config c = config_from_yaml(
      load_yaml_string("n: 300\nbatch_size: 64\nlr: 0.1\nseed: 42\noptimizer: sgd\nmomentum: 0.9\n"
                       "precision: float64\nprobe_feature_scaling: model\ninit_from: some/dir\n",
                       "config.yml"));
  nlohmann::json j = config_to_json(c);
  Config back = config_from_yaml(load_yaml_string(j.dump(), "config.json"));
  EXPECT_EQ(config_to_json(back), j);
  EXPECT_EQ(config_id(back), config_id(c));
}

TEST(ConfigId, StableAndSensitiveToResults) {
  // FNV-1a 64 of "a": (0xcbf29ce484222325 ^ 0x61) * 0x100000001b3 mod 2^64.
  EXPECT_EQ(stable_hash_hex("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(stable_hash_hex(""), "cbf29ce484222325");

  const std::string text = "n: 100\nd: 20\nh: 30\nseed: 1\n";
  Config a = config_from_yaml(load_yaml_string(text, "a.yml"));
  Config b = config_from_yaml(load_yaml_string(text, "b.yml"));
  EXPECT_EQ(config_id(a), config_id(b));
  EXPECT_EQ(config_id(a).size(), 16u);

  Config seed = config_from_yaml(load_yaml_string("n: 100\nd: 20\nh: 30\nseed: 2\n", "c.yml"));
  EXPECT_NE(config_id(seed), config_id(a));

  Config threads = a;
  threads.threads = 8;
  threads.out_dir = "elsewhere";
  EXPECT_EQ(config_id(threads), config_id(a));

  Config lr = a;
  lr.lr = 0.5;
  EXPECT_NE(config_id(lr), config_id(a));
  Config scaling = a;
  scaling.probe_feature_scaling = ProbeFeatureScaling::kModel;
  EXPECT_NE(config_id(scaling), config_id(a));
}

TEST(ConfigLr, StepLrDecaysEveryStepSizeSteps) {
  Config c = config_from_yaml(load_yaml_string(
      "lr: 0.8\nlr_scheduler_cls: StepLR\nlr_scheduler_kwargs: {step_size: 2, gamma: 0.5}",
      "config.yml"));
  const std::vector<double> expected = {0.8, 0.8, 0.8, 0.4, 0.4, 0.2, 0.2};  // steps 0..6
  for (long step = 0; step < static_cast<long>(expected.size()); ++step) {
    EXPECT_DOUBLE_EQ(c.lr_at(step), expected[step]) << "step " << step;
  }
  c.lr_scheduler = ScheduleKind::kNone;
  EXPECT_DOUBLE_EQ(c.lr_at(5), 0.8);
}

TEST(ConfigDescribe, OneRowPerField) {
  const std::string table = describe_config_fields();
  std::vector<std::string> lines;
  std::stringstream in(table);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 51u);  // header + one row per Config member
  EXPECT_EQ(lines[0].rfind("key", 0), 0u);
  for (const char* key :
       {"varying_param", "lr_scheduler_kwargs.gamma", "probe_feature_scaling", "activation",
        "adam_betas.beta1", "lr_scheduler_kwargs.T_max", "save_weights", "batch_size"}) {
    EXPECT_NE(table.find(std::string("\n") + key + " "), std::string::npos) << key;
  }
  EXPECT_NE(table.find("[not sweepable]"), std::string::npos);
  EXPECT_NE(table.find("in [0, 1)"), std::string::npos);
  // Fixed width: the type column starts at the same place on every line.
  std::size_t column = lines[0].find("type");
  for (const std::string& line : lines) {
    EXPECT_EQ(line[column - 1], ' ') << line;
  }
}

TEST(ConfigMemory, EstimateCountsTheBigArrays) {
  Config c = config_from_yaml(load_yaml_file(config_path("main.yml")));
  // Elements: X_train, X_probe 2e6 each; X_test 2e5; W, grad, Adam 6e6; scratch 9e6;
  // features 3e6 + 3e5; Gram 2.25e6 + 1e6: 25.75e6. Plus 64 MiB.
  EXPECT_EQ(estimate_run_memory_bytes(c), 4u * 25'750'000u + 64u * 1024 * 1024);
  c.precision = Precision::kFloat64;
  EXPECT_EQ(estimate_run_memory_bytes(c), 8u * 25'750'000u + 64u * 1024 * 1024);
  c.fix_last_layer = false;
  EXPECT_EQ(estimate_run_memory_bytes(c), 8u * 23'750'000u + 64u * 1024 * 1024);
  c.n = std::numeric_limits<long>::max();
  EXPECT_EQ(estimate_run_memory_bytes(c), std::numeric_limits<std::size_t>::max());
  EXPECT_NE(error_of([&] { check_memory_fits(c, 1ULL << 40); }), "");
}

}  // namespace
}  // namespace sih
