// sih report: the page of a small real run and of a small real two-axis sweep (every image
// it references exists and is non-empty, the metrics and correlations as printed, the
// captions), HTML escaping of text from the folder, and bad folders refused with nothing
// written.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "sih/base/types.hpp"
#include "sih/commands/cli.hpp"
#include "sih/config/config_input.hpp"
#include "sih/experiments/run.hpp"
#include "sih/experiments/sweep.hpp"
#include "sih/pages/plot.hpp"
#include "sih/pages/report.hpp"
#include "test_util.hpp"

using namespace sih;
namespace fs = std::filesystem;

namespace {

const char* kRun = R"(
n: 120
d: 30
h: 50
n_test: 40
optimizer: adam
lr: 1
num_epochs: 3
probe_freq_steps: 1
lightweight: false
precision: float64
)";

const char* kSweep = R"(
n: 60
d: 12
h: 20
n_test: 30
optimizer: adam
lr: [0.1, 1]
num_epochs: [2, 3]
probe_freq_steps: 1
lightweight: true
repeat: 2
precision: float64
)";

std::string make_run(const std::string& out) { return test::run_from_yaml(kRun, out).dir; }

std::string make_sweep(const std::string& out) {
  YAML::Node root = load_yaml_string(kSweep, "test");
  apply_override(root, "out_dir=" + out);
  SweepOptions o;
  o.quiet = true;
  const SweepPlan plan = plan_sweep(sweep_kind("sweep"), root);
  execute_sweep(plan, o);
  merge_sweep(plan.dir);
  return plan.dir;
}

// The src of every <img> of the page.
std::vector<std::string> img_srcs(const std::string& html) {
  std::vector<std::string> out;
  static const std::regex img("<img src=\"([^\"]+)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), img); it != std::sregex_iterator();
       ++it)
    out.push_back((*it)[1]);
  return out;
}

void expect_images_exist(const std::string& dir, const std::string& html, std::size_t min_count) {
  const auto srcs = img_srcs(html);
  EXPECT_GE(srcs.size(), min_count);
  for (const auto& s : srcs) {
    EXPECT_EQ(s.rfind("plots/", 0), 0u) << s;
    std::error_code ec;
    EXPECT_GT(fs::file_size(dir + "/" + s, ec), 0u) << s;
    EXPECT_FALSE(ec) << s;
  }
}

// A number of a CSV cell as the page prints it (5 significant digits).
std::string shown(const std::string& cell) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.5g", std::stod(cell));
  return buf;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST(Report, EscapesHtml) {
  EXPECT_EQ(html_escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
}

TEST(Report, CaptionsByFileName) {
  EXPECT_EQ(figure_caption("losses.png"), "Train and val loss vs step");
  EXPECT_NE(figure_caption("step12_W_esd.png").find("ESD of W at step 12 with the MP densities"),
            std::string::npos);
  EXPECT_EQ(figure_caption("heatmap_val_loss.png").rfind("Phase diagram of val_loss", 0), 0u);
  EXPECT_NE(figure_caption("heatmap_alpha_hill_2.png").find("combination 2"), std::string::npos);
  EXPECT_EQ(figure_caption("something_new.png"), "Figure something_new");
}

TEST(Report, RunPageHasConfigMetricsSpikesAndEveryFigure) {
  test::TempDir tmp;
  const std::string dir = make_run(tmp.path());
  const ReportResult r = write_report(dir, default_plot_scripts_dir());
  EXPECT_TRUE(r.plotted);
  EXPECT_EQ(r.path, dir + "/report.html");
  const std::string html = test::read_text(r.path);
  for (const char* h : {"<h2>Config</h2>", "<h2>Metrics</h2>", "<h2>Spikes, bulk and tails</h2>",
                        "<h2>Figures</h2>"})
    EXPECT_TRUE(contains(html, h)) << h;
  EXPECT_FALSE(contains(html, "<script"));
  EXPECT_FALSE(contains(html, "http://"));
  EXPECT_FALSE(contains(html, "https://"));
  // Every figure of plots/ is on the page, with its file existing and non-empty.
  expect_images_exist(dir, html, 10);
  EXPECT_EQ(img_srcs(html).size(), r.images.size());
  EXPECT_TRUE(contains(html, "<img src=\"plots/losses.png\""));
  EXPECT_TRUE(contains(html, "Train and val loss vs step"));
  EXPECT_TRUE(contains(html, "ESD of W at step 3 with the MP densities"));
  // The metrics as printed, with the schema's doc as the column's tooltip.
  const test::Csv m = test::read_csv(dir + "/metrics.csv");
  ASSERT_EQ(m.rows.size(), 4u);
  for (std::size_t row = 0; row < m.rows.size(); ++row)
    for (const char* col : {"train_loss", "val_loss", "alpha_hill", "mp_lambda_plus", "spike_gap"})
      EXPECT_TRUE(contains(html, "<td>" + shown(m.at(row, col)) + "</td>")) << col << " " << row;
  EXPECT_TRUE(contains(
      html, "<th title=\"" + html_escape(std::string(find_metric("kta")->doc)) + "\">kta</th>"));
  EXPECT_TRUE(contains(html, "<th title=\"" +
                                 html_escape(std::string(find_metric("p_lognormal")->doc)) +
                                 "\">p_lognormal</th>"));
  // The header: id, status and version.
  const auto config = nlohmann::json::parse(test::read_text(dir + "/config.json"));
  EXPECT_TRUE(contains(html, "<h1>sih run " + config["id"].get<std::string>() + "</h1>"));
  EXPECT_TRUE(contains(html, "<th>status</th><td>ok</td>"));

  // A second report reuses plots/ as it is and writes the page again.
  const ReportResult again = write_report(dir, default_plot_scripts_dir());
  EXPECT_FALSE(again.plotted);
  EXPECT_EQ(test::read_text(again.path), html);
}

TEST(Report, TextFromTheFolderIsEscaped) {
  test::TempDir tmp;
  const std::string dir = make_run(tmp.path());
  auto config = nlohmann::json::parse(test::read_text(dir + "/config.json"));
  config["optimizer"] = "<b>adam</b> & \"friends\"";
  test::write_text(dir + "/config.json", config.dump(2));
  const std::string html = test::read_text(write_report(dir, default_plot_scripts_dir()).path);
  EXPECT_FALSE(contains(html, "<b>adam</b>"));
  EXPECT_TRUE(contains(html, "&lt;b&gt;adam&lt;/b&gt; &amp; &quot;friends&quot;"));
}

TEST(Report, SweepPageHasAxesRunsCorrelationsAndPhaseDiagramsFirst) {
  test::TempDir tmp;
  const std::string dir = make_sweep(tmp.path());
  const ReportResult r = write_report(dir, default_plot_scripts_dir());
  const std::string html = test::read_text(r.path);
  for (const char* h : {"<h2>Axes</h2>", "<h2>Config</h2>", "<h2>Correlations</h2>",
                        "<h2>Runs</h2>", "<h2>Phase diagrams</h2>", "<h2>Figures</h2>"})
    EXPECT_TRUE(contains(html, h)) << h;
  EXPECT_TRUE(contains(html, "8 finished of 8 planned (8 ok)"));
  EXPECT_TRUE(contains(html, "<tr><th>lr</th><td>0.1, 1.0</td><td>2</td></tr>"));
  expect_images_exist(dir, html, 5);
  // Phase diagrams come before every other figure.
  const auto srcs = img_srcs(html);
  ASSERT_FALSE(srcs.empty());
  EXPECT_EQ(srcs.front(), "plots/heatmap_val_loss.png");
  bool past = false;
  for (const auto& s : srcs) {
    const bool heat = s.rfind("plots/heatmap_", 0) == 0;
    EXPECT_FALSE(past && heat) << s;
    past = past || !heat;
  }
  EXPECT_TRUE(contains(html, "Phase diagram of val_loss"));
  // The correlations as printed.
  const test::Csv c = test::read_csv(dir + "/correlations.csv");
  ASSERT_FALSE(c.rows.empty());
  for (std::size_t row = 0; row < c.rows.size(); ++row)
    for (const char* col : {"spearman", "kendall"}) {
      const std::string v = c.at(row, col);
      EXPECT_TRUE(
          contains(html, "<td>" + (v.empty() ? std::string("\xe2\x80\x94") : shown(v)) + "</td>"))
          << col << " " << row;
    }
}

TEST(Report, BadFoldersAreRefusedAndNothingIsWritten) {
  test::TempDir tmp;
  EXPECT_THROW(write_report(tmp / "missing", default_plot_scripts_dir()), InputError);
  EXPECT_THROW(write_report(tmp.path(), default_plot_scripts_dir()), InputError);
  test::write_text(tmp / "config.json", "{\"n\": 1}");
  EXPECT_THROW(write_report(tmp.path(), default_plot_scripts_dir()), InputError);
  test::write_text(tmp / "config.json", "not json");
  EXPECT_THROW(write_report(tmp.path(), default_plot_scripts_dir()), InputError);
  test::write_text(tmp / "config.json", "{\"command\": \"sweep\"}");
  EXPECT_THROW(write_report(tmp.path(), default_plot_scripts_dir()), InputError);
  EXPECT_FALSE(fs::exists(tmp / "report.html"));
  EXPECT_FALSE(fs::exists(tmp / "plots"));

  // Through the CLI: exit status 2, one line on stderr, nothing on stdout.
  std::ostringstream out, err;
  EXPECT_EQ(run_cli({"report", tmp.path()}, out, err), 2);
  EXPECT_EQ(out.str(), "");
  const std::string e = err.str();
  EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 1) << e;
  EXPECT_EQ(e.rfind("sih: error: ", 0), 0u) << e;
  EXPECT_FALSE(fs::exists(tmp / "report.html"));
}

TEST(Report, CliPrintsThePagePath) {
  test::TempDir tmp;
  const std::string dir = make_run(tmp.path());
  std::ostringstream out, err;
  ASSERT_EQ(run_cli({"report", dir}, out, err), 0) << err.str();
  EXPECT_EQ(out.str(), dir + "/report.html\n");
  EXPECT_TRUE(fs::exists(dir + "/report.html"));
}
