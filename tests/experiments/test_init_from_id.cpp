// The run id of an init_from run covers the bytes of the arrays it reads: the same arrays give
// the same run (resume skips it), an edited array gives a new run with new results, and the
// hash is recorded in config.json. Exactly the files load_problem reads are hashed (b0 only
// with bias, the probe set only with a frozen read-out, .npy before .csv).
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sih/commands/cli.hpp"
#include "sih/config/config_fields.hpp"
#include "sih/config/config_input.hpp"
#include "sih/experiments/init_from.hpp"
#include "sih/experiments/run.hpp"
#include "sih/experiments/sweep.hpp"
#include "sih/formats/array_io.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace sih;

namespace {

const char* kBase =
    "n: 40\n"
    "d: 8\n"
    "h: 12\n"
    "n_test: 10\n"
    "num_epochs: 4\n"
    "probe_freq_steps: 2\n"
    "lightweight: true\n"
    "optimizer: sgd\n"
    "lr: 0.5\n"
    "precision: float64\n";

std::string yaml_with_init(const std::string& init) {
  return std::string(kBase) + "init_from: " + init + "\n";
}

// An init_from folder of CSV files matching kBase, plus b0 (read only with bias: true).
std::string write_init(const test::TempDir& tmp, const std::string& name = "init") {
  const std::string dir = tmp / name;
  const Config c = config_from_yaml(load_yaml_string(kBase, "base"));
  const Problem<double> p = generate_problem<double>(c, RunSeeds::from_seed(11));
  test::write_init_folder(dir, p);
  write_csv(dir + "/b0.csv", MatD::Constant(c.h, 1, 0.25));
  return dir;
}

// Changes one byte of `path`: the first digit 1-8 becomes the next digit (a CSV value
// changes, the file stays well-formed).
void bump_one_digit(const std::string& path) {
  std::string text = test::read_text(path);
  const auto at = text.find_first_of("12345678");
  ASSERT_NE(at, std::string::npos) << path;
  ++text[at];
  test::write_text(path, text);
}

// FNV-1a 64 written out here, independently of sih's StableHash, over what the id is
// documented to cover: for each file read, "<file name>:<size>:" then its bytes.
std::string expected_hash(const std::string& dir, const std::vector<std::string>& files) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto feed = [&](const std::string& bytes) {
    for (unsigned char b : bytes) {
      h ^= b;
      h *= 0x100000001b3ULL;
    }
  };
  for (const auto& f : files) {
    const std::string bytes = test::read_text(dir + "/" + f);
    feed(f + ":" + std::to_string(bytes.size()) + ":");
    feed(bytes);
  }
  std::ostringstream out;
  out << std::hex;
  out.width(16);
  out.fill('0');
  out << h;
  return out.str();
}

double final_value(const RunOutcome& r, const char* key) {
  return r.summary.at("final").at(key).get<double>();
}

}  // namespace

TEST(InitFromId, SameArraysGiveTheSameRunAndItIsReused) {
  test::TempDir tmp;
  const std::string init = write_init(tmp);
  const RunOutcome first = test::run_from_yaml(yaml_with_init(init), tmp / "out");
  ASSERT_FALSE(first.skipped);
  const RunOutcome second = test::run_from_yaml(yaml_with_init(init), tmp / "out");
  EXPECT_EQ(second.id, first.id);
  EXPECT_TRUE(second.skipped) << "the same arrays must reuse the complete run";
}

TEST(InitFromId, HashInConfigJsonCoversExactlyTheFilesRead) {
  test::TempDir tmp;
  const std::string init = write_init(tmp);
  const RunOutcome r = test::run_from_yaml(yaml_with_init(init), tmp / "out");
  const nlohmann::json cfg = test::read_json(r.dir + "/config.json");
  ASSERT_TRUE(cfg.contains("init_from_hash")) << cfg.dump(2);
  // kBase: fix_last_layer true (probe set read), bias false (b0 not read).
  const std::string want =
      expected_hash(init, {"beta.csv", "W0.csv", "a0.csv", "X_train.csv", "y_train.csv",
                           "X_probe.csv", "y_probe.csv", "X_test.csv", "y_test.csv"});
  EXPECT_EQ(cfg["init_from_hash"].get<std::string>(), want);
  EXPECT_EQ(cfg["id"].get<std::string>(), r.id);
  EXPECT_EQ(fs::path(r.dir).filename().string(), r.id);

  // A run without init_from has no such key and the id it always had.
  const RunOutcome plain = test::run_from_yaml(kBase, tmp / "out");
  EXPECT_FALSE(test::read_json(plain.dir + "/config.json").contains("init_from_hash"));
  EXPECT_EQ(plain.id, config_id(config_from_yaml(load_yaml_string(kBase, "base"))));
}

TEST(InitFromId, EditingOneByteGivesANewRecomputedRunWithOtherResults) {
  test::TempDir tmp;
  const std::string init = write_init(tmp);
  const RunOutcome before = test::run_from_yaml(yaml_with_init(init), tmp / "out");
  const std::string hash_before = test::read_json(before.dir + "/config.json")["init_from_hash"];
  bump_one_digit(init + "/X_train.csv");
  const RunOutcome after = test::run_from_yaml(yaml_with_init(init), tmp / "out");
  EXPECT_NE(after.id, before.id);
  EXPECT_FALSE(after.skipped) << "edited arrays must not reuse the old results";
  EXPECT_NE(test::read_json(after.dir + "/config.json")["init_from_hash"].get<std::string>(),
            hash_before);
  // Both folders exist side by side, and the new one was trained on the edited data.
  EXPECT_TRUE(fs::is_directory(before.dir));
  EXPECT_NE(final_value(after, "train_loss"), final_value(before, "train_loss"));
  const test::Csv m_before = test::read_csv(before.dir + "/metrics.csv");
  const test::Csv m_after = test::read_csv(after.dir + "/metrics.csv");
  ASSERT_EQ(m_after.rows.size(), m_before.rows.size());
  const std::size_t last = m_after.rows.size() - 1;
  EXPECT_NE(m_after.at(last, "train_loss"), m_before.at(last, "train_loss"));
}

TEST(InitFromId, FilesNotReadDoNotChangeTheIdAndFilesReadDo) {
  test::TempDir tmp;
  const std::string init = write_init(tmp);
  const Config frozen = config_from_yaml(load_yaml_string(yaml_with_init(init), "t"));
  Config trained = frozen;
  trained.fix_last_layer = false;
  Config biased = frozen;
  biased.bias = true;
  const std::string id_frozen = run_id(frozen, std::nullopt);
  const std::string id_trained = run_id(trained, std::nullopt);
  const std::string id_biased = run_id(biased, std::nullopt);

  // The probe set is only read with a frozen read-out.
  bump_one_digit(init + "/X_probe.csv");
  EXPECT_EQ(run_id(trained, std::nullopt), id_trained);
  EXPECT_NE(run_id(frozen, std::nullopt), id_frozen);
  // b0 only with bias.
  bump_one_digit(init + "/b0.csv");
  EXPECT_EQ(run_id(trained, std::nullopt), id_trained);
  EXPECT_NE(run_id(biased, std::nullopt), id_biased);
  const std::string id_biased_edited = run_id(biased, std::nullopt);

  // .npy wins over .csv: once beta.npy exists, beta.csv is no longer read.
  const MatD beta = read_array(init + "/beta.csv");
  write_npy<double>(init + "/beta.npy", beta);
  const std::string id_npy = run_id(biased, std::nullopt);
  EXPECT_NE(id_npy, id_biased_edited) << "beta.npy is a different file from beta.csv";
  bump_one_digit(init + "/beta.csv");
  EXPECT_EQ(run_id(biased, std::nullopt), id_npy);
  // The last byte of the .npy data: part of a value.
  {
    std::fstream f(init + "/beta.npy", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put('\x3f');
  }
  EXPECT_NE(run_id(biased, std::nullopt), id_npy);
}

TEST(InitFromId, MissingOrUnreadableFileIsExit2NamingIt) {
  test::TempDir tmp;
  const std::string init = write_init(tmp);
  test::write_text(tmp / "config.yml", yaml_with_init(init));
  auto cli = [&](std::string& err) {
    std::ostringstream o, e;
    const int status =
        run_cli({"run", tmp / "config.yml", "--quiet", "--set", "out_dir=" + (tmp / "out")}, o, e);
    err = e.str();
    return status;
  };
  std::string err;
  fs::remove(init + "/y_test.csv");
  EXPECT_EQ(cli(err), 2) << err;
  EXPECT_EQ(err,
            "sih: error: init_from: " + init + ": no y_test.npy or y_test.csv in this folder\n");

  // A folder where the file should be: refused by name, nothing hangs or crashes.
  fs::create_directories(init + "/y_test.npy");
  EXPECT_EQ(cli(err), 2) << err;
  EXPECT_EQ(err, "sih: error: init_from: " + init + "/y_test.npy: not a regular file\n");
  fs::remove(init + "/y_test.npy");

  // A FIFO would block a reader for ever: refused before it is opened.
  ASSERT_EQ(::mkfifo((init + "/y_test.npy").c_str(), 0600), 0);
  EXPECT_EQ(cli(err), 2) << err;
  EXPECT_EQ(err, "sih: error: init_from: " + init + "/y_test.npy: not a regular file\n");
  EXPECT_FALSE(fs::exists(tmp / "out") && !fs::is_empty(tmp / "out"))
      << "nothing is written for refused input";
}

TEST(InitFromId, SweepRunIdsCoverTheArraysAndEditedArraysAreRecomputed) {
  test::TempDir tmp;
  const std::string init = write_init(tmp);
  auto plan = [&] {
    YAML::Node root = load_yaml_string(yaml_with_init(init), "sweep");
    apply_override(root, "lr=[0.1, 1]");
    apply_override(root, "out_dir=" + (tmp / "out"));
    return plan_sweep(sweep_kind("bulk-lr"), root);
  };
  SweepOptions quiet;
  quiet.quiet = true;
  const SweepPlan a = plan();
  const SweepPlan again = plan();
  ASSERT_EQ(a.runs.size(), again.runs.size());
  for (std::size_t i = 0; i < a.runs.size(); ++i) EXPECT_EQ(a.runs[i].id, again.runs[i].id);
  execute_sweep(a, quiet);
  for (const auto& r : a.runs) {
    const nlohmann::json cfg = test::read_json(a.dir + "/runs/" + r.id + "/config.json");
    EXPECT_EQ(cfg.value("init_from_hash", ""), r.init_from_hash) << r.id;
    EXPECT_EQ(r.id, run_id(r.config, r.seeds)) << "planned id vs the id of a single run";
  }

  bump_one_digit(init + "/W0.csv");
  const SweepPlan b = plan();
  EXPECT_NE(b.id, a.id);
  ASSERT_EQ(b.runs.size(), a.runs.size());
  for (std::size_t i = 0; i < b.runs.size(); ++i) {
    EXPECT_NE(b.runs[i].id, a.runs[i].id) << i;
    EXPECT_NE(b.runs[i].init_from_hash, a.runs[i].init_from_hash) << i;
  }
  const SweepOutcome out = execute_sweep(b, quiet);
  EXPECT_EQ(out.skipped, 0) << "edited arrays: every run recomputed";
  const nlohmann::json s_a = test::read_json(a.dir + "/runs/" + a.runs[0].id + "/summary.json");
  const nlohmann::json s_b = test::read_json(b.dir + "/runs/" + b.runs[0].id + "/summary.json");
  EXPECT_NE(s_b["final"]["train_loss"].get<double>(), s_a["final"]["train_loss"].get<double>());
}
