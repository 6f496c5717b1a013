// sih plot: the gnuplot scripts of scripts/plot/ driven by plot_folder() on small fake run and
// sweep folders written here in the docs/OUTPUT.md format, and its failure paths.
#include <gtest/gtest.h>
#include <unistd.h>

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sih/base/interrupt.hpp"
#include "sih/base/types.hpp"
#include "sih/config/config_fields.hpp"
#include "sih/config/config_input.hpp"
#include "sih/core/memory_model.hpp"
#include "sih/pages/plot.hpp"
#include "sih/pages/report.hpp"
#include "test_util.hpp"

namespace sih {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::write_text;

std::string num(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string cell(const std::optional<double>& v) { return v ? num(*v) : ""; }

std::string column_csv(const std::string& header, const Eigen::VectorXd& v) {
  std::string s = header + "\n";
  for (Eigen::Index i = 0; i < v.size(); ++i) s += num(v[i]) + "\n";
  return s;
}

// As the run's entries_hist.csv: 100 equal bins from min to max, density.
std::string entries_hist_csv(const Eigen::MatrixXd& m) {
  const double lo = m.minCoeff(), hi = m.maxCoeff(), w = (hi - lo) / 100;
  std::vector<double> counts(100, 0.0);
  for (Eigen::Index i = 0; i < m.size(); ++i) {
    const int b = std::min(99, static_cast<int>((m.data()[i] - lo) / w));
    counts[b] += 1;
  }
  std::string s = "left,right,density\n";
  for (int b = 0; b < 100; ++b) {
    s += num(lo + b * w) + "," + num(lo + (b + 1) * w) + "," +
         num(counts[b] / (static_cast<double>(m.size()) * w)) + "\n";
  }
  return s;
}

// docs/MODEL.md §5 power-law fit of the tail from index i of ascending eigenvalues.
void fit_tail(const Eigen::VectorXd& e, Eigen::Index i, double* alpha, double* D) {
  const Eigen::Index n = e.size(), m = n - i;
  double s = 0;
  for (Eigen::Index j = i; j < n; ++j) s += std::log(e[j]);
  *alpha = 1 + m / (s - m * std::log(e[i]));
  *D = 1;
  if (*alpha <= 1) return;
  *D = 0;
  for (Eigen::Index k = 0; k < m; ++k) {
    *D = std::max(*D,
                  std::abs(1 - std::pow(e[i + k] / e[i], 1 - *alpha) - static_cast<double>(k) / m));
  }
}

// Block means of a square matrix, at most `blocks` x `blocks`, in gnuplot matrix format.
std::string block_plot_csv(const Eigen::MatrixXd& o, int blocks) {
  const int n = static_cast<int>(o.rows());
  const int bs = (n + blocks - 1) / blocks, nb = (n + bs - 1) / bs;
  std::string s;
  for (int bi = 0; bi < nb; ++bi) {
    for (int bj = 0; bj < nb; ++bj) {
      const int r = std::min(bs, n - bi * bs), c = std::min(bs, n - bj * bs);
      s += (bj ? " " : "") + num(o.block(bi * bs, bj * bs, r, c).mean());
    }
    s += "\n";
  }
  return s;
}

struct FakeRun {
  int h = 30, d = 20, steps = 3;
  bool spectra = true, overlaps = true, init_alignment = true;
  bool kta = true, alpha_mle_ks = true;
  bool non_finite = false;  // nan/inf in val_loss, as a diverging run writes
};

// A run folder as sih writes it (OUTPUT.md): a spike growing in W along beta plus noise.
void write_fake_run(const std::string& dir, const FakeRun& f) {
  fs::create_directories(dir);
  std::mt19937_64 gen(7);
  std::normal_distribution<double> normal;
  auto randn = [&](int r, int c) {
    Eigen::MatrixXd m(r, c);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(gen);
    return m;
  };
  Eigen::MatrixXd W = randn(f.h, f.d), a = randn(1, f.h);
  Eigen::VectorXd beta = randn(f.d, 1).col(0).normalized();
  Eigen::VectorXd u = randn(f.h, 1).col(0).normalized();

  write_text(dir + "/config.json",
             "{\"n\": 100, \"d\": " + std::to_string(f.d) + ", \"h\": " + std::to_string(f.h) +
                 ", \"optimizer\": \"adam\", \"lr\": 1.0, \"lightweight\": " +
                 (f.spectra ? "false" : "true") + ", \"sih_version\": \"0.1.0\", " +
                 "\"id\": \"00112233aabbccdd\"}\n");
  if (f.init_alignment) {
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(W, Eigen::ComputeThinV);
    Eigen::VectorXd al = (svd.matrixV().transpose() * beta).cwiseAbs();
    std::string s = "i,alignment\n";
    for (Eigen::Index i = 0; i < al.size(); ++i) s += std::to_string(i) + "," + num(al[i]) + "\n";
    write_text(dir + "/init_pc_beta_alignment.csv", s);
  }

  std::string metrics =
      "step,lr,train_loss,val_loss,kta,w_beta_alignment,alpha_hill,D_hill,alpha_mle_ks,"
      "D_mle_ks,alpha_peak,D_peak,spectral_norm,frobenius_norm,alphahat,stable_rank\n";
  std::vector<Eigen::MatrixXd> Ws;
  for (int s = 0; s <= f.steps; ++s) {
    if (s > 0) {
      W += 2.0 * std::sqrt(f.h * f.d) / 10 * u * beta.transpose() + 0.3 * randn(f.h, f.d);
      a += 0.2 * randn(1, f.h);
    }
    Ws.push_back(W);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(W.transpose() * W);
    const Eigen::VectorXd eigs = es.eigenvalues();  // ascending
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(W, Eigen::ComputeThinV);
    const Eigen::Index n = eigs.size();
    double ah, dh, am = 0, dm = 2;
    fit_tail(eigs, n / 2, &ah, &dh);
    for (Eigen::Index i = 0; i + 1 < n; ++i) {
      double ai, di;
      fit_tail(eigs, i, &ai, &di);
      if (di < dm) am = ai, dm = di;
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::optional<double> train = s == 0 ? std::nullopt : std::optional<double>(0.5 / (1 + s));
    std::optional<double> val = 0.6 / (1 + s);
    if (f.non_finite && s == 1) val = nan;
    if (f.non_finite && s == 2) val = std::numeric_limits<double>::infinity();
    const double top = eigs[n - 1], sum = eigs.sum();
    metrics += std::to_string(s) + ",1," + cell(train) + "," + cell(val) + "," +
               (f.kta ? num(0.1 + 0.1 * s) : "") + "," +
               num(std::abs(svd.matrixV().col(0).dot(beta))) + "," + num(ah) + "," + num(dh) + "," +
               (f.alpha_mle_ks ? num(am) + "," + num(dm) : ",") + ",,," + num(top) + "," +
               num(sum) + "," + num(ah * std::log10(top)) + "," + num(sum / top) + "\n";
    if (f.spectra) {
      const std::string p = dir + "/spectra/step" + std::to_string(s) + "_";
      fs::create_directories(dir + "/spectra");
      write_text(p + "W_eigs.csv", column_csv("lambda", eigs));
      write_text(p + "W_sv.csv", column_csv("sigma", svd.singularValues()));
      write_text(p + "W_entries_hist.csv", entries_hist_csv(W));
      const double aa = a.squaredNorm();
      write_text(p + "a_eigs.csv", "lambda\n" + num(aa) + "\n");
      write_text(p + "a_sv.csv", "sigma\n" + num(std::sqrt(aa)) + "\n");
      write_text(p + "a_entries_hist.csv", entries_hist_csv(a));
    }
  }
  write_text(dir + "/metrics.csv", metrics);
  write_text(dir + "/summary.json",
             "{\"status\": \"ok\", \"steps\": " + std::to_string(f.steps) + "}\n");

  if (f.overlaps) {
    fs::create_directories(dir + "/overlaps");
    for (int k = 0; k < f.steps; ++k) {
      const Eigen::MatrixXd M = Ws[k + 1] - Ws[k];
      Eigen::JacobiSVD<Eigen::MatrixXd> sm(M, Eigen::ComputeThinU | Eigen::ComputeThinV);
      const std::string p = dir + "/overlaps/pair" + std::to_string(k) + "_";
      write_text(p + "M_sv.csv", column_csv("sigma", sm.singularValues()));
      for (int which = 0; which < 2; ++which) {
        Eigen::JacobiSVD<Eigen::MatrixXd> sw(Ws[k + which],
                                             Eigen::ComputeThinU | Eigen::ComputeThinV);
        const std::string w = which ? "Wk1" : "Wk";
        // Fewer blocks than singular vectors, so that the index scaling is exercised.
        write_text(p + w + "_U_plot.csv",
                   block_plot_csv((sw.matrixU().transpose() * sm.matrixU()).array().square(), 8));
        write_text(p + w + "_V_plot.csv",
                   block_plot_csv((sw.matrixV().transpose() * sm.matrixV()).array().square(), 8));
      }
    }
  }
}

void write_fake_bulk_lr(const std::string& dir) {
  fs::create_directories(dir);
  write_text(dir + "/config.json",
             "{\"command\": \"bulk-lr\", \"optimizer\": [\"sgd\", \"adam\"], "
             "\"lr\": [0.001, 0.1, 10, 1000], \"repeat\": 3, \"id\": \"aabbccdd00112233\"}\n");
  const char* ms[] = {"train_loss",       "val_loss",   "kta",
                      "w_beta_alignment", "alpha_hill", "alpha_mle_ks"};
  std::string s = "optimizer,lr,runs_used,runs_total";
  for (const char* m : ms) s += std::string(",") + m + "_mean," + m + "_std";
  s += "\n";
  // Rows out of lr order: the script must sort them.
  for (const std::string opt : {"adam", "sgd"}) {
    for (double lr : {10.0, 0.001, 1000.0, 0.1}) {
      const double x = std::log10(lr), o = opt == "adam" ? 1 : 0;
      s += opt + "," + num(lr);
      if (opt == "sgd" && lr == 1000.0) {  // every repeat diverged: no means
        s += ",0,3,,,,,,,,,,,,\n";
        continue;
      }
      const double v[] = {0.3 - 0.02 * x + 0.03 * o, 0.35 - 0.01 * x - 0.02 * o,
                          0.2 + 0.05 * x + 0.1 * o,  0.1 + 0.1 * (x + 3) * (1 + o),
                          6 - 0.5 * (x + 3),         5 - 0.4 * (x + 3)};
      s += ",3,3";
      for (double m : v) s += "," + num(m) + "," + num(0.1 * m);
      s += "\n";
    }
  }
  write_text(dir + "/aggregate.csv", s);
}

void write_fake_bulk_losses(const std::string& dir, const std::string& param,
                            const std::vector<double>& values) {
  fs::create_directories(dir);
  write_text(dir + "/config.json", "{\"command\": \"bulk-losses\", \"varying_param\": \"" + param +
                                       "\", \"repeat\": 2, \"id\": \"aabbccdd00112244\"}\n");
  std::string s = param +
                  ",step,runs_used,runs_total,train_loss_mean,train_loss_std,"
                  "val_loss_mean,val_loss_std\n";
  for (size_t j = 0; j < values.size(); ++j) {
    for (int step = 0; step <= 6; ++step) {
      const double t = 0.5 * std::exp(-step / (2.0 + j)) + 0.02 * j, v = t + 0.05;
      // Step 0 has no train loss when the last layer trains (docs/MODEL.md §4).
      s += num(values[j]) + "," + std::to_string(step) + ",2,2," +
           (step == 0 ? "," : num(t) + "," + num(0.1 * t)) + "," + num(v) + "," + num(0.1 * v) +
           "\n";
    }
  }
  write_text(dir + "/aggregate.csv", s);
}

std::string scripts_dir() { return std::string(SIH_SOURCE_DIR) + "/scripts/plot"; }

// The PNG signature, an IHDR of 800 x 600 and more than a few kB of picture.
::testing::AssertionResult is_figure(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ::testing::AssertionFailure() << path << " missing";
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 24 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 ||
      bytes.compare(12, 4, "IHDR") != 0) {
    return ::testing::AssertionFailure() << path << " is not a PNG";
  }
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  if (be32(16) != 800 || be32(20) != 600) {
    return ::testing::AssertionFailure()
           << path << " is " << be32(16) << " x " << be32(20) << ", expected 800 x 600";
  }
  if (bytes.size() <= 5000) {
    return ::testing::AssertionFailure() << path << " has only " << bytes.size() << " bytes";
  }
  return ::testing::AssertionSuccess();
}

std::set<std::string> basenames(const std::vector<std::string>& files) {
  std::set<std::string> out;
  for (const auto& f : files) out.insert(fs::path(f).filename().string());
  return out;
}

std::set<std::string> pngs_in(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

void expect_figures(const PlotResult& r, const std::string& plots_dir,
                    const std::set<std::string>& expected) {
  EXPECT_EQ(basenames(r.files), expected);
  EXPECT_EQ(r.files.size(), expected.size()) << "a figure reported twice";
  EXPECT_EQ(pngs_in(plots_dir), expected);
  for (const auto& f : r.files) {
    EXPECT_EQ(fs::path(f).parent_path(), fs::path(plots_dir));
    EXPECT_TRUE(is_figure(f));
  }
}

std::string error_of(const std::string& dir) {
  try {
    plot_folder(dir, scripts_dir());
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

const std::set<std::string> kMetricFigures = {"losses.png", "kta.png", "w_beta_alignment.png",
                                              "alpha.png"};

// Every figure of a run with spectra, overlaps and checkpoints 0..last_step (step 1 each).
std::set<std::string> full_run_figures(int last_step) {
  std::set<std::string> expected = kMetricFigures;
  expected.insert({"init_pc_beta_alignment.png", "W_esd_first_last.png",
                   "W_esd_first_last_linear.png", "W_entries_first_last.png",
                   "a_entries_first_last.png", "W_esd_powerlaw.png"});
  for (int s = 0; s <= last_step; ++s) {
    for (const char* f : {"_W_esd.png", "_W_sv.png", "_W_entries.png"}) {
      expected.insert("step" + std::to_string(s) + f);
    }
  }
  for (int k = 0; k < last_step; ++k) {
    for (const char* f : {"_M_sv.png", "_Wk_U.png", "_Wk_V.png", "_Wk1_U.png", "_Wk1_V.png"}) {
      expected.insert("pair" + std::to_string(k) + f);
    }
  }
  return expected;
}

TEST(PlotRun, DrawsEveryFigureOfAFullRun) {
  TempDir tmp;
  const std::string dir = tmp / "run";
  write_fake_run(dir, FakeRun{});
  // A trailing slash must not change the file names.
  const PlotResult r = plot_folder(dir + "/", scripts_dir());
  const std::set<std::string> expected = full_run_figures(3);
  expect_figures(r, dir + "/plots", expected);
  // The recomputed power-law fits agree with metrics.csv: no note about a mismatch; the only
  // note says the fake metrics.csv has no spike columns.
  ASSERT_EQ(r.notes.size(), 1u) << r.notes.front();
  EXPECT_EQ(r.notes[0].rfind("spikes.gp: no spike counts", 0), 0u) << r.notes[0];
}

TEST(PlotRun, LightweightRunSkipsSpectraAndOverlaps) {
  TempDir tmp;
  const std::string dir = tmp / "run";
  FakeRun f;
  f.spectra = f.overlaps = f.init_alignment = false;
  write_fake_run(dir, f);
  const PlotResult r = plot_folder(dir, scripts_dir());
  expect_figures(r, dir + "/plots", kMetricFigures);
}

TEST(PlotRun, EmptyAndNonFiniteCellsDoNotBreakFigures) {
  TempDir tmp;
  const std::string dir = tmp / "run";
  FakeRun f;
  f.kta = false;           // a column entirely empty: its figure is skipped
  f.alpha_mle_ks = false;  // one of two curves empty: the figure keeps the other
  f.non_finite = true;
  f.overlaps = false;
  write_fake_run(dir, f);
  const PlotResult r = plot_folder(dir, scripts_dir());
  const auto names = basenames(r.files);
  EXPECT_EQ(names.count("kta.png"), 0u);
  for (const char* f : {"losses.png", "alpha.png", "w_beta_alignment.png", "W_esd_powerlaw.png",
                        "step3_W_esd.png"}) {
    EXPECT_EQ(names.count(f), 1u) << f;
  }
  for (const auto& file : r.files) EXPECT_TRUE(is_figure(file));
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes.front().find("kta"), std::string::npos) << r.notes.front();
}

TEST(PlotRun, EmptyDataFilesSkipTheirFiguresWithNotes) {
  TempDir tmp;
  const std::string dir = tmp / "run";
  write_fake_run(dir, FakeRun{});
  write_text(dir + "/overlaps/pair1_M_sv.csv", "sigma\n");
  write_text(dir + "/overlaps/pair0_Wk_U_plot.csv", "");
  write_text(dir + "/spectra/step2_W_sv.csv", "sigma\n");
  write_text(dir + "/spectra/step2_W_entries_hist.csv", "left,right,density\n");
  write_text(dir + "/spectra/step3_W_eigs.csv", "lambda\n0\n0\n");  // no positive eigenvalue
  const PlotResult r = plot_folder(dir, scripts_dir());
  std::set<std::string> expected = full_run_figures(3);
  for (const char* f : {"pair1_M_sv.png", "pair0_Wk_U.png", "step2_W_sv.png", "step2_W_entries.png",
                        "step3_W_esd.png", "W_esd_first_last.png", "W_esd_powerlaw.png"}) {
    expected.erase(f);
  }
  expect_figures(r, dir + "/plots", expected);
  std::string notes;
  for (const auto& n : r.notes) notes += n + "\n";
  for (const char* f : {"pair1_M_sv.csv", "pair0_Wk_U_plot.csv", "step3_W_eigs.csv"}) {
    EXPECT_NE(notes.find(f), std::string::npos) << f << " not in notes:\n" << notes;
  }
}

TEST(PlotSweep, BulkLrDrawsOnlyTheSweepFigures) {
  TempDir tmp;
  const std::string dir = tmp / "sweep";
  write_fake_bulk_lr(dir);
  FakeRun small;
  small.steps = 1;
  write_fake_run(dir + "/runs/0011223344556677", small);
  const PlotResult r = plot_folder(dir, scripts_dir());
  expect_figures(r, dir + "/plots",
                 {"bulk_losses.png", "bulk_kta.png", "bulk_w_beta_alignment.png",
                  "bulk_alpha_hill.png", "bulk_alpha_mle_ks.png"});
  EXPECT_FALSE(fs::exists(dir + "/runs/0011223344556677/plots"));
}

TEST(PlotSweep, BulkLossesForEachVaryingParameter) {
  const std::vector<std::pair<std::string, std::vector<double>>> cases = {
      {"n", {500, 1000, 2000}},
      {"reg_lambda", {0.01, 0.1, 1}},
      {"label_noise_std", {0, 0.3}},
      {"gamma", {0.2, 0.5, 0.9}}};
  for (const auto& [param, values] : cases) {
    SCOPED_TRACE(param);
    TempDir tmp;
    const std::string dir = tmp / "sweep";
    write_fake_bulk_losses(dir, param, values);
    expect_figures(plot_folder(dir, scripts_dir()), dir + "/plots", {"bulk_losses.png"});
  }
}

TEST(PlotErrors, MissingFolderNamesThePath) {
  TempDir tmp;
  const std::string dir = tmp / "no-such-run";
  const std::string msg = error_of(dir);
  EXPECT_NE(msg.find(dir), std::string::npos) << msg;
  EXPECT_NE(msg.find("no such folder"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(dir)) << "plotting must not create the folder";
}

TEST(PlotErrors, PartialOrForeignFoldersNameWhatIsMissing) {
  TempDir tmp;
  {
    const std::string dir = tmp / "config-only";
    fs::create_directories(dir);
    write_text(dir + "/config.json", "{\"n\": 10}\n");
    const std::string msg = error_of(dir);
    EXPECT_NE(msg.find("metrics.csv"), std::string::npos) << msg;
    EXPECT_NE(msg.find(dir), std::string::npos) << msg;
  }
  {
    const std::string dir = tmp / "empty";
    fs::create_directories(dir);
    EXPECT_EQ(error_of(dir),
              dir + ": not a sih run or sweep folder (no metrics.csv or aggregate.csv)");
  }
  {
    const std::string dir = tmp / "no-config";
    write_fake_run(dir, FakeRun{});
    fs::remove(dir + "/config.json");
    EXPECT_NE(error_of(dir).find("config.json"), std::string::npos) << error_of(dir);
  }
  {
    const std::string dir = tmp / "header-only";
    write_fake_run(dir, FakeRun{});
    write_text(dir + "/metrics.csv", "step,lr,train_loss\n");
    EXPECT_NE(error_of(dir).find("no rows"), std::string::npos) << error_of(dir);
  }
  {
    const std::string dir = tmp / "bad-json";
    write_fake_run(dir, FakeRun{});
    write_text(dir + "/config.json", "{\"n\": ");
    EXPECT_NE(error_of(dir).find("config.json: not valid JSON"), std::string::npos)
        << error_of(dir);
  }
  {
    const std::string dir = tmp / "sweep-unfinished";
    write_fake_bulk_lr(dir);
    fs::remove(dir + "/aggregate.csv");
    EXPECT_NE(error_of(dir).find("aggregate.csv"), std::string::npos) << error_of(dir);
  }
  {
    const std::string dir = tmp / "sweep-other";
    write_fake_bulk_lr(dir);
    write_text(dir + "/config.json", "{\"command\": \"run\"}\n");
    EXPECT_NE(error_of(dir).find("command"), std::string::npos) << error_of(dir);
  }
  {
    const std::string dir = tmp / "sweep-wrong-aggregate";
    write_fake_bulk_losses(dir, "n", {10, 20});
    write_text(dir + "/config.json", "{\"command\": \"bulk-lr\"}\n");
    EXPECT_NE(error_of(dir).find("no column \"optimizer\""), std::string::npos) << error_of(dir);
  }
  // Each message is one line: the CLI prints it as is.
  EXPECT_EQ(error_of(tmp / "empty").find('\n'), std::string::npos);
}

TEST(PlotErrors, MissingGnuplotIsAnInputError) {
  TempDir tmp;
  const std::string dir = tmp / "run";
  write_fake_run(dir, FakeRun{});
  const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", (tmp / "empty-bin").c_str(), 1);
  const std::string msg = error_of(dir);
  ::setenv("PATH", old_path.c_str(), 1);
  EXPECT_EQ(msg, "gnuplot not found: install gnuplot-nox (scripts/setup-deps.sh)");
}

TEST(PlotErrors, MissingScriptsDirIsAnInputError) {
  TempDir tmp;
  const std::string dir = tmp / "run";
  write_fake_run(dir, FakeRun{});
  try {
    plot_folder(dir, tmp / "nowhere");
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("SIH_PLOT_SCRIPTS"), std::string::npos) << e.what();
  }
}

TEST(PlotErrors, AFailingScriptReportsItsLastErrorLine) {
  TempDir tmp;
  const std::string dir = tmp / "run";
  FakeRun f;
  f.spectra = f.overlaps = f.init_alignment = false;
  write_fake_run(dir, f);
  const std::string scripts = tmp / "scripts";
  fs::create_directories(scripts);
  fs::copy_file(scripts_dir() + "/common.gp", scripts + "/common.gp");
  write_text(scripts + "/losses.gp", "print 'a line on stdout'\nexit error 'boom: deliberate'\n");
  try {
    plot_folder(dir, scripts);
    FAIL() << "no runtime_error";
  } catch (const InputError& e) {
    FAIL() << "InputError instead of runtime_error: " << e.what();
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("losses.gp"), std::string::npos) << msg;
    EXPECT_NE(msg.find("boom: deliberate"), std::string::npos) << msg;
  }
}

// The real thing: a tiny `sih run` with spectra and overlaps, then its figures.
TEST(PlotRealRun, PlotsTheOutputOfSihRun) {
#ifndef SIH_BINARY
  GTEST_SKIP() << "SIH_BINARY not defined (built outside CMake)";
#else
  if (::access(SIH_BINARY, X_OK) != 0) GTEST_SKIP() << SIH_BINARY << " not built";
  TempDir tmp;
  write_text(tmp / "tiny.yml",
             "n: 100\nd: 20\nh: 30\nnum_epochs: 3\nprobe_freq_steps: 1\n"
             "plot_overlaps: true\nlightweight: false\nout_dir: " +
                 (tmp / "out") + "\n");
  // The temp folder's name is [-/a-zA-Z0-9]: safe inside single quotes.
  const std::string cmd =
      std::string("'") + SIH_BINARY + "' run --quiet '" + (tmp / "tiny.yml") + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  ASSERT_EQ(::pclose(p), 0) << cmd;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  const std::string run_dir = out.substr(out.find_last_of('\n') + 1);  // the last line
  ASSERT_TRUE(fs::is_regular_file(run_dir + "/metrics.csv")) << run_dir;

  const PlotResult r = plot_folder(run_dir, scripts_dir());
  std::set<std::string> expected = full_run_figures(3);
  expected.insert({"spikes.png", "tail_tests.png"});  // sih writes the spike columns
  expect_figures(r, run_dir + "/plots", expected);
#endif
}

// ---- figures are written like runs: staged, checked, swapped in whole -----------------------

// A scripts folder with common.gp and one losses.gp of the given body (the run's only script
// when it has no spectra, overlaps or init alignment).
std::string scripts_with_losses(const std::string& root, const std::string& body) {
  const std::string scripts = root + "/scripts";
  fs::create_directories(scripts);
  fs::copy_file(scripts_dir() + "/common.gp", scripts + "/common.gp");
  write_text(scripts + "/losses.gp",
             "SCRIPT = ARG0; DIR = ARG1\n"
             "_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne \"/\") { _i = _i - 1 }\n"
             "load (_i > 0 ? SCRIPT[1:_i] : \"./\") . \"common.gp\"\n" +
                 body);
  return scripts;
}

// The figures of a lightweight fake run, drawn once by the real scripts; returns their bytes.
std::map<std::string, std::string> plot_once(const std::string& dir) {
  FakeRun f;
  f.spectra = f.overlaps = f.init_alignment = false;
  write_fake_run(dir, f);
  plot_folder(dir, scripts_dir());
  std::map<std::string, std::string> bytes;
  for (const auto& e : fs::directory_iterator(dir + "/plots"))
    bytes[e.path().filename().string()] = test::read_text(e.path().string());
  EXPECT_FALSE(bytes.empty());
  return bytes;
}

void expect_previous_plots_kept(const std::string& dir,
                                const std::map<std::string, std::string>& before) {
  std::map<std::string, std::string> now;
  for (const auto& e : fs::directory_iterator(dir + "/plots"))
    now[e.path().filename().string()] = test::read_text(e.path().string());
  EXPECT_EQ(now, before) << "plots/ changed";
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find("plots.partial"), std::string::npos)
        << "staging folder left: " << e.path();
}

TEST(PlotAtomic, FiguresAreStagedAndTheFolderReplacedWhole) {
  TempDir tmp;
  const std::string dir = tmp / "run";
  const auto before = plot_once(dir);
  // A second plot replaces plots/ whole: a stray file of the old folder is gone, the figures
  // are complete PNGs, no staging folder is left.
  write_text(dir + "/plots/stale.png", "old");
  const PlotResult r = plot_folder(dir, scripts_dir());
  EXPECT_FALSE(fs::exists(dir + "/plots/stale.png"));
  for (const auto& f : r.files) EXPECT_EQ(png_problem(f), "") << f;
  expect_previous_plots_kept(dir, before);
}

TEST(PlotAtomic, StagingFoldersOfDeadPlotsAreRemoved) {
  TempDir tmp;
  const std::string dir = tmp / "run";
  const auto before = plot_once(dir);
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  // A plot of this host killed with kill -9 (no such pid: beyond pid_max), one of another host
  // and one of a live process (this one's parent) sharing the folder.
  const std::string dead = dir + "/plots.partial-" + host + "-999999999";
  const std::string other = dir + "/plots.partial-some-other-node-1";
  const std::string alive = dir + "/plots.partial-" + host + "-" + std::to_string(::getppid());
  for (const auto& d : {dead, other, alive}) {
    fs::create_directories(d);
    write_text(d + "/losses.png", "half");
  }
  plot_folder(dir, scripts_dir());
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(other));
  EXPECT_TRUE(fs::exists(alive));
  for (const auto& d : {other, alive}) fs::remove_all(d);
  expect_previous_plots_kept(dir, before);
}

TEST(PlotAtomic, AFailingScriptLeavesThePreviousPlotsIntact) {
  TempDir tmp;
  const std::string dir = tmp / "run";
  const auto before = plot_once(dir);
  const std::string scripts = scripts_with_losses(
      tmp.path(), "system('touch ' . q(PLOTS . '/losses.png'))\nexit error 'boom: deliberate'\n");
  EXPECT_THROW(plot_folder(dir, scripts), std::runtime_error);
  expect_previous_plots_kept(dir, before);
}

TEST(PlotAtomic, AnEmptyOrCutOffPngIsAnOutputErrorNamingIt) {
  TempDir tmp;
  const std::string dir = tmp / "run";
  const auto before = plot_once(dir);
  // What gnuplot leaves on a full disk: a 0-byte file, or one cut off after the signature;
  // it exits 0 all the same.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"system('touch ' . q(PLOTS . '/losses.png'))\n", "empty (0 bytes)"},
      {"system('printf \"\\211PNG\\r\\n\\032\\nsome bytes of a cut-off image\" > ' . "
       "q(PLOTS . '/losses.png'))\n",
       "truncated (no IEND chunk at its end)"},
      {"system('printf \"not a png at all, but long enough to be one\" > ' . "
       "q(PLOTS . '/losses.png'))\n",
       "not a PNG (no PNG signature)"}};
  for (const auto& [body, problem] : cases) {
    TempDir t2;
    const std::string scripts =
        scripts_with_losses(t2.path(), body + "print PLOTS . '/losses.png'\n");
    try {
      plot_folder(dir, scripts);
      ADD_FAILURE() << "no OutputError for " << problem;
    } catch (const OutputError& e) {
      EXPECT_EQ(std::string(e.what()),
                dir + "/plots/losses.png: " + problem + " (written by losses.gp; disk full?)");
    }
    expect_previous_plots_kept(dir, before);
  }
}

TEST(PlotAtomic, ASignalKillsGnuplotAndKeepsThePreviousPlots) {
  TempDir tmp;
  const std::string dir = tmp / "run";
  const auto before = plot_once(dir);
  const std::string scripts = scripts_with_losses(
      tmp.path(), "system('touch ' . q(PLOTS . '/losses.png') . '; sleep 30')\n");
  std::thread signaller([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    interrupt_signal().store(SIGTERM);
  });
  const auto t0 = std::chrono::steady_clock::now();
  int caught = 0;
  try {
    plot_folder(dir, scripts);
  } catch (const Interrupted& e) {
    caught = e.signal;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  signaller.join();
  interrupt_signal().store(0);
  EXPECT_EQ(caught, SIGTERM);
  // 0.5 s until the signal, then at most ~0.1 s of polling: far from the script's 30 s.
  EXPECT_LT(seconds, 5.0);
  expect_previous_plots_kept(dir, before);
}

TEST(ReportFigures, ABrokenFigureIsRedrawnBeforeThePageIsWritten) {
  TempDir tmp;
  const std::string dir = tmp / "run";
  plot_once(dir);
  // A cut-off PNG (a full disk, an interrupted older sih): the page would show a broken image.
  { std::ofstream(dir + "/plots/losses.png", std::ios::trunc) << "\x89PNG\r\n\x1a\n"; }
  ASSERT_NE(png_problem(dir + "/plots/losses.png"), "");
  const ReportResult r = write_report(dir, scripts_dir());
  EXPECT_TRUE(r.plotted);
  for (const auto& img : r.images) EXPECT_EQ(png_problem(img), "") << img;
  EXPECT_EQ(png_problem(dir + "/plots/losses.png"), "");
}

TEST(ReportFigures, AFigureThatCannotBeDrawnFailsNamingIt) {
  TempDir tmp;
  const std::string dir = tmp / "run";
  plot_once(dir);
  { std::ofstream(dir + "/plots/losses.png", std::ios::trunc); }
  // The scripts draw losses.png empty again: the report exits non-zero naming it, no page.
  const std::string scripts = scripts_with_losses(
      tmp.path(), "system('touch ' . q(PLOTS . '/losses.png'))\nprint PLOTS . '/losses.png'\n");
  try {
    write_report(dir, scripts);
    ADD_FAILURE() << "no OutputError";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("plots/losses.png: empty (0 bytes)"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(dir + "/report.html"));
}

TEST(PlotScriptsDir, EnvironmentOverridesThenFindsTheScripts) {
  const char* old = std::getenv("SIH_PLOT_SCRIPTS");
  const std::string saved = old ? old : "";
  ::setenv("SIH_PLOT_SCRIPTS", "/somewhere/plot", 1);
  EXPECT_EQ(default_plot_scripts_dir(), "/somewhere/plot");
  ::unsetenv("SIH_PLOT_SCRIPTS");
  EXPECT_TRUE(fs::is_regular_file(default_plot_scripts_dir() + "/common.gp"))
      << default_plot_scripts_dir();
  if (old) ::setenv("SIH_PLOT_SCRIPTS", saved.c_str(), 1);
}

}  // namespace
}  // namespace sih
