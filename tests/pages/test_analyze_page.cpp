// `sih analyze --out-dir DIR --plot` and `sih report DIR`: the layer figures' data files
// against the analyze.csv they came from (values, order, kinds, the histogram, the outliers
// chosen), the PNGs, the page against summary.json, analyze.csv, compare.csv and the metric
// schema's descriptions, failed fits left out of the figures, and bad folders and garbage
// cells refused with one line and nothing written.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "sih/core/metrics_schema.hpp"
#include "sih/formats/array_io.hpp"
#include "sih/formats/csv_table.hpp"
#include "sih/pages/analyze_layers.hpp"
#include "sih/pages/plot.hpp"
#include "sih/pages/report.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

namespace sih {
namespace {

using test::cli;
using test::TempDir;

// Gaussian entries, Cauchy entries (a heavy tail: alpha < 2) or Gaussian plus a strong rank-2
// signal, n x m.
MatD matrix(int n, int m, int kind, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  std::cauchy_distribution<double> c;
  MatD w(n, m);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < m; ++j) w(i, j) = kind == 1 ? c(rng) : g(rng);
  if (kind == 2) {
    Eigen::VectorXd u = Eigen::VectorXd::Ones(n), v = Eigen::VectorXd::LinSpaced(m, -1, 1);
    w += 3.0 * u * v.transpose();
    w += 2.0 * Eigen::VectorXd::LinSpaced(n, 0, 1) * Eigen::VectorXd::Ones(m).transpose();
  }
  return w;
}

// A small model's matrices as .npy files named as in a transformer (their kinds known).
std::vector<std::string> write_model(const std::string& dir) {
  struct M {
    const char* name;
    int n, m, kind;
  };
  const M ms[] = {{"model.embed_tokens.weight", 90, 40, 0},
                  {"model.layers.0.self_attn.q_proj.weight", 60, 60, 0},
                  {"model.layers.0.self_attn.k_proj.weight", 60, 60, 1},
                  {"model.layers.0.mlp.up_proj.weight", 120, 60, 2},
                  {"model.layers.0.mlp.down_proj.weight", 60, 120, 1},
                  {"model.layers.1.self_attn.v_proj.weight", 60, 60, 2},
                  {"model.layers.1.self_attn.o_proj.weight", 60, 60, 1},
                  {"classifier.weight", 80, 50, 0}};
  std::vector<std::string> paths;
  unsigned seed = 7;
  for (const M& m : ms) {
    paths.push_back(dir + "/" + m.name + ".npy");
    write_npy(paths.back(), matrix(m.n, m.m, m.kind, seed++));
  }
  return paths;
}

double num(const std::string& s) {
  if (s == "inf") return INFINITY;
  if (s == "-inf") return -INFINITY;
  return s.empty() || s == "NaN" ? NAN : std::stod(s);
}

std::vector<std::vector<std::string>> dat_rows(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(test::read_text(path));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<std::string> cells;
    std::string c;
    while (ls >> c) cells.push_back(c);
    if (!cells.empty()) rows.push_back(cells);
  }
  return rows;
}

void expect_close(const std::string& what, double expected, double actual) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what << ": expected NaN, actual " << actual;
    return;
  }
  // the data files hold 9 significant digits of analyze.csv's 17
  EXPECT_LE(std::abs(actual - expected), 1e-8 * std::abs(expected) + 1e-300)
      << what << ": expected " << expected << ", actual " << actual;
}

bool fitted(double a) { return std::isfinite(a) && a > 0; }

struct Analyzed {
  TempDir tmp;
  std::string out;
  test::CliResult result;
};

// Analyses the small model into tmp/out with --plot.
void analyze_model(Analyzed& a, std::vector<std::string> extra = {}) {
  fs::create_directories(a.tmp / "model");
  std::vector<std::string> args = {"analyze"};
  for (const auto& p : write_model(a.tmp / "model")) args.push_back(p);
  a.out = a.tmp / "out";
  args.insert(args.end(), {"--out-dir", a.out, "--jobs", "2"});
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("--plot");
  a.result = cli(args);
}

TEST(AnalyzeLayerFigures, DataFilesAreAnalyzeCsvsRowsInOrderWithTheirKinds) {
  Analyzed a;
  analyze_model(a);
  ASSERT_EQ(a.result.status, 0) << a.result.err;
  const test::Csv csv = test::read_csv(a.out + "/analyze.csv");
  ASSERT_EQ(csv.rows.size(), 8u);
  const std::string plots = a.out + "/plots";
  const auto kinds_rows = dat_rows(plots + "/layers.kinds");
  ASSERT_EQ(kinds_rows.size(), 1u);
  const std::vector<std::string>& kinds = kinds_rows[0];
  // the kinds named after the layers (layer_kind.cpp), in order of first appearance
  EXPECT_EQ(kinds, (std::vector<std::string>{"embedding", "attention_q", "attention_k", "mlp",
                                             "attention_v", "attention_o", "other"}));
  const auto kind_of = [&](const std::string& idx) { return kinds.at(std::stoul(idx) - 1); };

  const auto alpha_rows = dat_rows(plots + "/layers_alpha.dat");
  std::size_t k = 0, n_fitted = 0;
  for (std::size_t r = 0; r < csv.rows.size(); ++r) {
    const double alpha = num(csv.at(r, "alpha"));
    if (!fitted(alpha)) continue;
    ++n_fitted;
    ASSERT_LT(k, alpha_rows.size());
    EXPECT_EQ(alpha_rows[k][0], std::to_string(r + 1));
    expect_close("alpha of row " + std::to_string(r + 1), alpha, num(alpha_rows[k][1]));
    EXPECT_EQ(kind_of(alpha_rows[k][2]), csv.at(r, "kind")) << "row " << r + 1;
    ++k;
  }
  EXPECT_EQ(k, alpha_rows.size());
  EXPECT_GE(n_fitted, 6u) << "the model's layers should mostly have a power-law fit";

  const auto norm_rows = dat_rows(plots + "/layers_norms.dat");
  ASSERT_EQ(norm_rows.size(), csv.rows.size());
  const auto weighted_rows = dat_rows(plots + "/layers_alpha_weighted.dat");
  ASSERT_EQ(weighted_rows.size(), n_fitted);
  k = 0;
  for (std::size_t r = 0; r < csv.rows.size(); ++r) {
    EXPECT_EQ(norm_rows[r][0], std::to_string(r + 1));
    expect_close("log_norm", num(csv.at(r, "log_norm")), num(norm_rows[r][1]));
    EXPECT_EQ(kind_of(norm_rows[r][2]), csv.at(r, "kind"));
    if (!fitted(num(csv.at(r, "alpha")))) continue;
    EXPECT_EQ(weighted_rows[k][0], std::to_string(r + 1));
    expect_close("alpha_weighted", num(csv.at(r, "alpha_weighted")), num(weighted_rows[k][1]));
    EXPECT_EQ(kind_of(weighted_rows[k][2]), csv.at(r, "kind"));
    ++k;
  }

  // the histogram: adjacent bins of one width covering every fitted alpha, counts recounted
  const auto hist = dat_rows(plots + "/layers_alpha_hist.dat");
  ASSERT_GE(hist.size(), 5u);
  const double w = num(hist[0][2]);
  std::vector<long> recount(hist.size(), 0);
  for (std::size_t r = 0; r < csv.rows.size(); ++r) {
    const double alpha = num(csv.at(r, "alpha"));
    if (!fitted(alpha)) continue;
    bool placed = false;
    for (std::size_t b = 0; b < hist.size() && !placed; ++b) {
      const double lo = num(hist[b][0]) - w / 2, hi = num(hist[b][0]) + w / 2;
      // the centres and width hold 9 significant digits
      const double eps = 1e-7 * std::max(1.0, std::abs(alpha));
      const bool last = b + 1 == hist.size();
      if (alpha >= lo - eps && (alpha < hi - eps || (last && alpha <= hi + eps))) {
        ++recount[b];
        placed = true;
      }
    }
    EXPECT_TRUE(placed) << "alpha " << alpha << " in no bin";
  }
  for (std::size_t b = 0; b < hist.size(); ++b) {
    EXPECT_EQ(std::stol(hist[b][1]), recount[b]) << "bin " << b;
    if (b > 0) expect_close("bin spacing", w, num(hist[b][0]) - num(hist[b - 1][0]));
  }

  // the outliers drawn: the (up to 4) fitted alphas farthest outside [2, 6], from the CSV
  std::vector<std::pair<double, std::string>> far;
  for (std::size_t r = 0; r < csv.rows.size(); ++r) {
    const double alpha = num(csv.at(r, "alpha"));
    const double d = !fitted(alpha) ? 0 : alpha < 2 ? 2 - alpha : alpha > 6 ? alpha - 6 : 0;
    if (d > 0) far.emplace_back(d, csv.at(r, "name"));
  }
  std::stable_sort(far.begin(), far.end(),
                   [](const auto& x, const auto& y) { return x.first > y.first; });
  ASSERT_GE(far.size(), 1u) << "the Cauchy layers have alpha < 2";
  std::set<std::string> expected = {"layers_alpha.png", "layers_norms.png",
                                    "layers_alpha_hist.png"};
  for (std::size_t i = 0; i < far.size() && i < 4; ++i) {
    expected.insert(far[i].second + "_esd.png");
    expected.insert(far[i].second + "_ccdf.png");
  }
  std::set<std::string> found;
  for (const auto& e : fs::directory_iterator(plots))
    if (e.path().extension() == ".png") found.insert(e.path().filename().string());
  EXPECT_EQ(found, expected);
  for (const auto& f : found) EXPECT_EQ(png_problem(plots + "/" + f), "") << f;
  // no staging folder left behind
  for (const auto& e : fs::directory_iterator(a.out))
    EXPECT_EQ(e.path().filename().string().rfind("plots.partial", 0), std::string::npos);
}

TEST(AnalyzeLayerFigures, FailedFitsAreLeftOutAndSaidSo) {
  TempDir tmp;
  // hand-made analyze.csv: a failed fit (-1), an empty alpha, and a name needing quotes
  std::string text = "name,source,shape,dtype,kind,N,M,rf,log_norm,alpha,alpha_weighted\n";
  text += "a.q_proj.weight,m.onnx,10x10,f32,attention_q,10,10,1,1.5,3.25,4.5\n";
  text += "b.weight,m.onnx,10x10,f32,other,10,10,1,1.25,-1,-2\n";
  text += "\"c,\"\"odd\"\" name\",m.onnx,10x10,f32,mlp,10,10,1,0.75,,\n";
  text += "d.up_proj.weight,m.onnx,10x10,f32,mlp,10,10,1,2,7.5,9\n";
  const AnalyzeTable t = parse_analyze_table(text, "analyze.csv");
  EXPECT_EQ(t.csv.at(2, t.csv.col("name")), "c,\"odd\" name");
  const LayerFigures f =
      write_layer_figures(t, "test", tmp.path(), std::string(SIH_SOURCE_DIR) + "/scripts/plot");
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_NE(f.notes[0].find("2 of 4 layers without a power-law fit"), std::string::npos)
      << f.notes[0];
  EXPECT_NE(f.notes[0].find("b.weight, c,\"odd\" name"), std::string::npos) << f.notes[0];
  const auto alpha = dat_rows(tmp / "layers_alpha.dat");
  ASSERT_EQ(alpha.size(), 2u);
  EXPECT_EQ(alpha[0], (std::vector<std::string>{"1", "3.25", "1"}));
  EXPECT_EQ(alpha[1], (std::vector<std::string>{"4", "7.5", "3"}));
  const auto norms = dat_rows(tmp / "layers_norms.dat");
  ASSERT_EQ(norms.size(), 4u);
  EXPECT_EQ(norms[1], (std::vector<std::string>{"2", "1.25", "2"}));
  EXPECT_EQ(norms[2], (std::vector<std::string>{"3", "0.75", "3"}));
  const auto weighted = dat_rows(tmp / "layers_alpha_weighted.dat");
  ASSERT_EQ(weighted.size(), 2u);
  EXPECT_EQ(weighted[0], (std::vector<std::string>{"1", "4.5", "1"}));
  EXPECT_EQ(weighted[1], (std::vector<std::string>{"4", "9", "3"}));
  EXPECT_EQ(f.pngs.size(), 3u);
  for (const auto& p : f.pngs) EXPECT_EQ(png_problem(p), "") << p;
  // no fitted layer at all: no alpha figures, said so
  TempDir tmp2;
  const AnalyzeTable none =
      parse_analyze_table("name,kind,log_norm,alpha\nx,other,1,-1\n", "analyze.csv");
  const LayerFigures g =
      write_layer_figures(none, "t", tmp2.path(), std::string(SIH_SOURCE_DIR) + "/scripts/plot");
  EXPECT_EQ(g.pngs, std::vector<std::string>{tmp2 / "layers_norms.png"});
  EXPECT_FALSE(fs::exists(tmp2 / "layers_alpha.png"));
}

TEST(AnalyzeLayerFigures, OutliersAreTheFarthestOutsideTheBand) {
  const double nan = std::nan("");
  EXPECT_EQ(alpha_outliers({3, 1.5, 9, -1, nan, 2, 6, 0.5, 7}, 4),
            (std::vector<std::size_t>{2, 7, 8, 1}));
  EXPECT_EQ(alpha_outliers({3, 4, -1}, 4), std::vector<std::size_t>{});
  EXPECT_EQ(alpha_outliers({10, 1}, 1), std::vector<std::size_t>{0});
}

TEST(QuotedCsv, QuotesEscapesAndLineBreaks) {
  const auto t = parse_quoted_csv_table("a,b\n\"x,1\",\"say \"\"hi\"\"\"\n\n\"two\nlines\",\n");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->header, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0], (std::vector<std::string>{"x,1", "say \"hi\""}));
  EXPECT_EQ(t->rows[1], (std::vector<std::string>{"two\nlines", ""}));
  EXPECT_FALSE(parse_quoted_csv_table("a\n\"open\n"));
}

std::string fmt5(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.5g", v);
  return buf;
}

// The section of the page from heading h to the next <h2>.
std::string section(const std::string& html, const std::string& h) {
  const auto a = html.find("<h2>" + h + "</h2>");
  if (a == std::string::npos) return "";
  const auto b = html.find("<h2>", a + 4);
  return html.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

TEST(AnalyzePage, SummaryEveryRowTooltipsAndFigures) {
  Analyzed a;
  analyze_model(a);
  ASSERT_EQ(a.result.status, 0) << a.result.err;
  const test::CliResult r = cli({"report", a.out});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, a.out + "/report.html\n");
  const std::string html = test::read_text(a.out + "/report.html");
  EXPECT_EQ(html.find("<script"), std::string::npos);

  // the summary numbers of summary.json
  const nlohmann::json s = nlohmann::json::parse(test::read_text(a.out + "/summary.json"));
  const std::string summary = section(html, "Summary");
  ASSERT_FALSE(summary.empty());
  int stats = 0;
  for (const auto& [k, v] : s.items()) {
    const std::string key = k;  // a structured binding cannot be captured in C++17 (clang)
    const auto ends_with = [&key](const std::string& sf) {
      return key.size() > sf.size() && key.compare(key.size() - sf.size(), sf.size(), sf) == 0;
    };
    if (ends_with("_mean") || ends_with("_median")) {
      ASSERT_TRUE(v.is_number()) << k;
      EXPECT_NE(summary.find("<td id=\"" + k + "\">" + fmt5(v.get<double>()) + "</td>"),
                std::string::npos)
          << k << " = " << v << " not on the page as " << fmt5(v.get<double>());
      ++stats;
    }
  }
  EXPECT_EQ(stats, 14);
  EXPECT_NE(summary.find("<th>layers</th><td>8</td>"), std::string::npos);
  EXPECT_NE(summary.find("<th>alpha &lt; 2 (over-trained)</th><td>" +
                         std::to_string(s["num_over_trained"].get<int>())),
            std::string::npos);

  // every row of analyze.csv, in order, every cell as shown
  const test::Csv csv = test::read_csv(a.out + "/analyze.csv");
  const std::string layers = section(html, "Layers");
  std::size_t pos = layers.find("<tbody>");
  ASSERT_NE(pos, std::string::npos);
  for (std::size_t row = 0; row < csv.rows.size(); ++row) {
    std::string tr = "<tr>";
    for (const auto& cell : csv.rows[row]) tr += "<td>" + report_cell_html(cell) + "</td>";
    tr += "</tr>";
    const auto at = layers.find(tr, pos);
    ASSERT_NE(at, std::string::npos) << "row " << row + 1 << " not on the page (in order): " << tr;
    pos = at + tr.size();
    const double alpha = num(csv.at(row, "alpha"));
    EXPECT_NE(tr.find("<td>" + fmt5(alpha) + "</td>"), std::string::npos) << tr;
  }
  // every header of analyze.csv; the schema's columns with their description as tooltip
  int tooltips = 0;
  for (const auto& h : csv.header) {
    const MetricColumn* m = nullptr;
    for (const MetricColumn& c : analyze_columns())
      if (c.name == h) m = &c;
    if (m) {
      EXPECT_NE(
          layers.find("<th title=\"" + html_escape(std::string(m->doc)) + "\">" + h + "</th>"),
          std::string::npos)
          << h;
      ++tooltips;
    } else {
      EXPECT_NE(layers.find("<th>" + h + "</th>"), std::string::npos) << h;
    }
  }
  EXPECT_EQ(tooltips, static_cast<int>(analyze_columns().size()));

  // the figures, each one of plots/ and a complete PNG
  std::set<std::string> srcs, pngs;
  static const std::regex img("<img src=\"plots/([^\"]+)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), img); it != std::sregex_iterator();
       ++it)
    srcs.insert((*it)[1]);
  for (const auto& e : fs::directory_iterator(a.out + "/plots"))
    if (e.path().extension() == ".png") pngs.insert(e.path().filename().string());
  EXPECT_EQ(srcs, pngs);
  EXPECT_NE(section(html, "Layer figures").find("plots/layers_alpha.png"), std::string::npos);
  EXPECT_NE(section(html, "Outlier layers").find("_esd.png"), std::string::npos);
  EXPECT_EQ(section(html, "Comparison"), "");
}

TEST(AnalyzePage, DrawsTheLayerFiguresWhenNoneAndShowsTheComparison) {
  TempDir tmp;
  fs::create_directories(tmp / "new");
  fs::create_directories(tmp / "base");
  write_npy(tmp / "new/w.npy", matrix(70, 50, 2, 1));
  write_npy(tmp / "base/w.npy", matrix(70, 50, 0, 1));
  const auto an = cli({"analyze", tmp / "new/w.npy", "--compare", tmp / "base/w.npy", "--out-dir",
                       tmp / "out", "-q"});
  ASSERT_EQ(an.status, 0) << an.err;
  ASSERT_TRUE(fs::exists(tmp / "out/compare.csv"));
  EXPECT_FALSE(fs::exists(tmp / "out/plots"));
  const auto r = cli({"report", tmp / "out"});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* f : {"layers_alpha.png", "layers_norms.png", "layers_alpha_hist.png"})
    EXPECT_EQ(png_problem(tmp / ("out/plots/" + std::string(f))), "") << f;
  const std::string html = test::read_text(tmp / "out/report.html");
  const std::string cmp = section(html, "Comparison");
  ASSERT_FALSE(cmp.empty());
  const test::Csv c = test::read_csv(tmp / "out/compare.csv");
  ASSERT_EQ(c.rows.size(), 1u);
  for (const auto& h : c.header) EXPECT_NE(cmp.find("<th>" + h + "</th>"), std::string::npos);
  for (const auto& cell : c.rows[0])
    EXPECT_NE(cmp.find("<td>" + report_cell_html(cell) + "</td>"), std::string::npos) << cell;
  EXPECT_EQ(section(html, "Outlier layers"), "");
}

// A one-line error (exit 2) naming `needle`, and no page written.
void expect_refused(const std::string& dir, const std::string& needle) {
  const auto r = cli({"report", dir});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir + "/report.html"));
}

TEST(AnalyzePage, BadFoldersAndGarbageCellsAreRefusedWithNothingWritten) {
  TempDir tmp;
  fs::create_directories(tmp / "empty");
  expect_refused(tmp / "empty", "not a sih run, sweep or analyze folder");
  expect_refused(tmp / "missing", "no such folder");

  // a real analyze folder, then one file at a time spoiled
  fs::create_directories(tmp / "m");
  write_npy(tmp / "m/model.layers.0.mlp.up_proj.weight.npy", matrix(60, 40, 0, 3));
  write_npy(tmp / "m/model.layers.0.mlp.down_proj.weight.npy", matrix(40, 60, 1, 4));
  ASSERT_EQ(cli({"analyze", tmp / "m/model.layers.0.mlp.up_proj.weight.npy",
                 tmp / "m/model.layers.0.mlp.down_proj.weight.npy", "--out-dir", tmp / "a", "-q"})
                .status,
            0);
  const std::string csv = test::read_text(tmp / "a/analyze.csv");
  const std::string summary = test::read_text(tmp / "a/summary.json");
  const auto reset = [&] {
    test::write_text(tmp / "a/analyze.csv", csv);
    test::write_text(tmp / "a/summary.json", summary);
    fs::remove_all(tmp / "a/plots");
  };
  // a garbage cell in the alpha column of the second row
  const test::Csv parsed = test::read_csv(tmp / "a/analyze.csv");
  const auto alpha_col = static_cast<std::size_t>(
      std::find(parsed.header.begin(), parsed.header.end(), "alpha") - parsed.header.begin());
  std::vector<std::string> row2 = parsed.rows[1];
  row2.at(alpha_col) = "1.2x";
  std::string bad = csv.substr(0, csv.find('\n', csv.find('\n') + 1) + 1);
  for (std::size_t c = 0; c < row2.size(); ++c) bad += (c ? "," : "") + row2[c];
  test::write_text(tmp / "a/analyze.csv", bad + "\n");
  expect_refused(tmp / "a", tmp / "a/analyze.csv: row 2, column alpha: '1.2x' is not a number");
  EXPECT_FALSE(fs::exists(tmp / "a/plots"));
  reset();
  test::write_text(tmp / "a/analyze.csv", csv + "x,y\n");
  expect_refused(tmp / "a", "analyze.csv: row 3: 2 cells, the header has");
  reset();
  test::write_text(tmp / "a/summary.json", "{\"alpha_mean\": \"high\"}");
  expect_refused(tmp / "a", "summary.json: alpha_mean: \"high\" is not a number");
  reset();
  fs::remove(tmp / "a/summary.json");
  expect_refused(tmp / "a", "no summary.json");
  reset();
  test::write_text(tmp / "a/compare.csv", "name,status,alpha_new\nw,paired,nan?\n");
  expect_refused(tmp / "a", "compare.csv: row 1, column alpha_new: 'nan?' is not a number");
  fs::remove(tmp / "a/compare.csv");
  reset();
  fs::remove(tmp / "a/analyze.csv");
  test::write_text(tmp / "a/analyze.json", "[]");
  expect_refused(tmp / "a", "analyze.json only");
  fs::remove(tmp / "a/analyze.json");
  reset();
  // text from the folder is escaped on the page
  std::string evil = csv;
  const std::string first = parsed.rows[0][0];
  evil.replace(evil.find(first), first.size(), "\"<b>x</b>,\"\"y\"\"\"");
  test::write_text(tmp / "a/analyze.csv", evil);
  const auto ok = cli({"report", tmp / "a"});
  ASSERT_EQ(ok.status, 0) << ok.err;
  const std::string html = test::read_text(tmp / "a/report.html");
  EXPECT_NE(html.find("<td>&lt;b&gt;x&lt;/b&gt;,&quot;y&quot;</td>"), std::string::npos);
  EXPECT_EQ(html.find("<b>x</b>"), std::string::npos);
}

TEST(AnalyzePlotOption, WithoutAFolderNeedsOutDir) {
  TempDir tmp;
  write_npy(tmp / "w.npy", matrix(30, 20, 0, 5));
  const auto r = cli({"analyze", tmp / "w.npy", "--plot"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "sih: error: --plot: give a folder (--plot DIR) or --out-dir DIR (the figures go to "
            "DIR/plots)\n");
  // --plot DIR as before: every matrix's ESD, and now the layer figures too
  const auto d = cli({"analyze", tmp / "w.npy", "--plot", tmp / "p", "-q"});
  ASSERT_EQ(d.status, 0) << d.err;
  for (const char* f : {"w_esd.png", "w_ccdf.png", "layers_alpha.png", "layers_norms.png"})
    EXPECT_EQ(png_problem(tmp / ("p/" + std::string(f))), "") << f;
}

}  // namespace
}  // namespace sih
