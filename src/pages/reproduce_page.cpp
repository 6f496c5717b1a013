// The page and the table of `sih reproduce`: <out>/index.html (static, no script, figures
// referenced beside it) and <out>/claims.csv (one row per claim and grid point).
#include "sih/pages/reproduce_page.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ctime>
#include <sstream>
#include <thread>

#include "sih/base/text.hpp"
#include "sih/base/version.hpp"
#include "sih/formats/csv_table.hpp"
#include "sih/pages/report.hpp"

namespace sih {

namespace {

const char* kExtraStyle =
    R"(<style>.holds{color:#1a7f37;font-weight:bold}.fails{color:#b42318;font-weight:bold}
.claims td,.claims th{text-align:left;white-space:normal;vertical-align:top}.claims td.v{font-family:monospace}
.summary{font-size:1.1em;padding:.5em;border:1px solid #ccc;background:#fafafa}
.missing{color:#666}</style>
)";

std::string verdict(const ClaimResult& c) {
  return c.holds ? "<span class=\"holds\">holds</span>"
                 : "<span class=\"fails\">does not hold</span>";
}

std::string measured_html(const ClaimResult& c) {
  std::ostringstream o;
  for (const auto& p : c.points) {
    o << "<div>" << (p.holds ? "&#10003; " : "&#10007; ");
    if (!p.coords.empty()) o << "<b>" << html_escape(point_label(p.coords)) << "</b>: ";
    o << html_escape(std::isfinite(p.value) ? fmt::format("{:.4g}", p.value) : "n/a") << " ("
      << html_escape(p.detail) << ")</div>";
  }
  return o.str();
}

// The claim's source beside it: the paper's words quoted with the text they are from, or our
// inference, labelled as ours (a failing one is a finding of ours, shown with its measurement).
std::string source_html(const Claim& c) {
  const ClaimSource& s = c.source;
  if (s.is_paper())
    return "<span class=\"note\">paper: &ldquo;" + html_escape(s.quote) + "&rdquo; (" +
           html_escape(claim_source_text(s.from)) + ")</span>";
  return "<span class=\"note\">inference (ours): " + html_escape(s.inference) + "</span>";
}

// A threshold table (reproduce.thresholds): eta* per group, then the log-log slope per group of
// the remaining axes with its 95% t-interval, beside what an argument predicts.
std::string thresholds_html(const ThresholdSpec& spec, const ThresholdResult& r) {
  std::ostringstream o;
  o << "<h3>Threshold of " << html_escape(spec.metric) << "@" << spec.step << " &ge; "
    << html_escape(fmt::format("{:g}", spec.level)) << " along " << html_escape(spec.along)
    << "</h3>\n<p>Per group, the smallest " << html_escape(spec.along)
    << " at which the metric (mean over the runs) reaches the level: interpolated linearly in "
       "log("
    << html_escape(spec.along)
    << ") between the two grid points around the first crossing; below or above the grid "
       "when it does not cross on it (no number is made up).</p>\n";
  o << "<table class=\"claims\">\n<tr><th>group</th><th>threshold</th><th>bracket</th></tr>\n";
  for (const auto& row : r.rows) {
    const Threshold& t = row.threshold;
    o << "<tr><td>" << html_escape(point_label(row.group)) << "</td><td class=\"v\">"
      << html_escape(threshold_text(t)) << "</td><td class=\"v\">"
      << (t.where == ThresholdWhere::kFound
              ? html_escape(fmt::format("{:g} .. {:g}", t.below, t.above))
              : std::string())
      << "</td></tr>\n";
  }
  o << "</table>\n";
  if (spec.fit.empty()) return o.str();
  o << "<p>Log-log fit of the threshold against " << html_escape(spec.fit)
    << " (least squares of log threshold on log " << html_escape(spec.fit)
    << "; 95% t-interval of the slope with n - 2 degrees of freedom; thresholds off the grid "
       "left out)";
  if (!spec.predicted.empty()) o << ". Predicted: " << html_escape(spec.predicted);
  if (r.fits.empty()) {
    o << ". No fit here: " << html_escape(spec.fit) << " is not swept at this size.</p>\n";
    return o.str();
  }
  o << ".</p>\n<table class=\"claims\">\n<tr><th>group</th><th>slope</th><th>95% "
       "interval</th><th>points</th><th>off the grid</th></tr>\n";
  for (const auto& f : r.fits) {
    const auto num = [](double v) {
      return std::isfinite(v) ? fmt::format("{:.3f}", v) : std::string("n/a");
    };
    o << "<tr><td>" << html_escape(f.group.empty() ? "(all)" : point_label(f.group))
      << "</td><td class=\"v\">" << num(f.fit.slope) << "</td><td class=\"v\">"
      << (std::isfinite(f.fit.ci_low) ? num(f.fit.ci_low) + " .. " + num(f.fit.ci_high)
                                      : std::string("n/a (fewer than 3 points)"))
      << "</td><td>" << f.fit.n << "</td><td>" << f.off_grid << "</td></tr>\n";
  }
  o << "</table>\n";
  if (!spec.over_repeats) return o.str();
  o << "<p>Over repeats: the same fit for each repeat of the sweep apart (its own draw of "
       "teacher, student and data), then the mean of the slopes and the 95% t-interval of that "
       "mean (n - 1 degrees of freedom).</p>\n";
  if (r.repeated.empty()) {
    o << "<p>No repeats at this size.</p>\n";
    return o.str();
  }
  o << "<table class=\"claims\">\n<tr><th>group</th><th>mean slope</th><th>95% interval</th>"
       "<th>slopes of the repeats</th><th>repeats without a slope</th></tr>\n";
  for (const auto& s : r.repeated) {
    const auto num = [](double v) {
      return std::isfinite(v) ? fmt::format("{:.3f}", v) : std::string("n/a");
    };
    std::string each;
    for (const double v : s.slopes) each += (each.empty() ? "" : ", ") + num(v);
    o << "<tr><td>" << html_escape(s.group.empty() ? "(all)" : point_label(s.group))
      << "</td><td class=\"v\">" << num(s.mean) << "</td><td class=\"v\">"
      << (std::isfinite(s.ci_low) ? num(s.ci_low) + " .. " + num(s.ci_high)
                                  : std::string("n/a (fewer than 2 repeats)"))
      << "</td><td class=\"v\">" << each << "</td><td>" << s.without_slope << "</td></tr>\n";
  }
  o << "</table>\n";
  return o.str();
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

}  // namespace

std::string thresholds_dat(const ThresholdSpec& spec, const ThresholdResult& r) {
  if (spec.fit.empty()) return {};
  std::string out = fmt::format(
      "# title: threshold of {}@{} >= {:g} along {}, against {}\n# xlabel: {}\n# ylabel: "
      "threshold {}\n",
      spec.metric, spec.step, spec.level, spec.along, spec.fit, spec.fit, spec.along);
  bool first = true;
  for (const auto& f : r.fits) {
    std::string block;
    for (const auto& row : r.rows) {
      nlohmann::json g = row.group;
      if (!g.contains(spec.fit) || !g[spec.fit].is_number()) continue;
      const double x = g[spec.fit].get<double>();
      g.erase(spec.fit);
      if (g != f.group || row.threshold.where != ThresholdWhere::kFound) continue;
      const double fitted = std::isfinite(f.fit.slope)
                                ? std::exp(f.fit.intercept) * std::pow(x, f.fit.slope)
                                : std::nan("");
      block += fmt::format("{:.17g} {:.17g} {}\n", x, row.threshold.value,
                           std::isfinite(fitted) ? fmt::format("{:.17g}", fitted) : "NaN");
    }
    if (block.empty()) continue;
    std::string key = f.group.empty() ? "all" : point_label(f.group);
    if (std::isfinite(f.fit.slope)) key += fmt::format(": slope {:.2f}", f.fit.slope);
    if (std::isfinite(f.fit.ci_low))
      key += fmt::format(" (95% {:.2f} .. {:.2f})", f.fit.ci_low, f.fit.ci_high);
    for (char& c : key)
      if (c == '"') c = '\'';
    out += (first ? "" : "\n\n") + ("\"" + key + "\"\n") + block;
    first = false;
  }
  return first ? std::string() : out;
}

std::string reproduce_claims_csv(const ReproduceOutcome& r) {
  std::string out =
      "experiment,claim,says,value,holds_if,point,measured,point_holds,claim_holds,source\n";
  for (const auto& o : r.outcomes) {
    for (std::size_t i = 0; i < o.claims.size(); ++i) {
      const ClaimResult& c = o.claims[i];
      for (const auto& p : c.points) {
        out += csv_field(o.experiment->name) + "," + std::to_string(i) + "," +
               csv_field(c.claim->says) + "," + csv_field(c.claim->value_text) + "," +
               csv_field(c.claim->holds_if_text) + "," +
               csv_field(p.coords.empty() ? "" : point_label(p.coords)) + "," +
               (std::isfinite(p.value) ? fmt::format("{:.17g}", p.value) : std::string()) + "," +
               (p.holds ? "true" : "false") + "," + (c.holds ? "true" : "false") + "," +
               csv_field(source_label(c.claim->source)) + "\n";
      }
    }
  }
  return out;
}

std::string reproduce_index_html(const ReproduceOutcome& r, const ReproduceOptions& options) {
  std::ostringstream o;
  const std::string title = "From Spikes to Heavy Tails, re-run by sih";
  std::string head = report_page_head(title);
  head.insert(head.find("</head>"), kExtraStyle);
  o << head;
  o << "<h1>" << html_escape(title) << "</h1>\n";
  o << "<p>Every experiment of <code>configs/paper/</code>: the paper's seven configs and the "
       "settings its text adds, each with the claims it checks, as data in its config "
       "(docs/REPRODUCE.md). A claim holds when the measurement, the mean over the runs of a "
       "grid point, passes its test at every point it is about.</p>\n";
  long not_run = 0;
  for (const auto& out : r.outcomes) not_run += out.state == ExperimentState::kNotRun ? 1 : 0;
  o << "<table class=\"meta\">\n";
  const auto row = [&](const std::string& k, const std::string& v) {
    o << "<tr><th>" << html_escape(k) << "</th><td>" << html_escape(v) << "</td></tr>\n";
  };
  row("mode", options.quick ? "quick (--quick: reduced sizes, for a first look and CI)"
                            : "full (the paper's sizes)");
  row("sih version", kVersion);
  row("written", now_utc());
  row("wall time of this invocation", duration_text(r.wall_time_s));
  row("cores", std::to_string(std::thread::hardware_concurrency()));
  o << "</table>\n";
  o << "<p class=\"summary\">" << r.claims_held << " of " << r.claims_checked << " claims hold";
  if (r.claims_held < r.claims_checked)
    o << "; where a claim does not hold, sih's measurement disagrees with the statement as "
         "written (the checks are never tuned to pass)";
  if (options.quick)
    o << ". These are the reduced sizes of --quick: a claim about the paper's sizes may hold "
         "there and not here, or the reverse; the full run (sih reproduce) decides";
  if (not_run > 0) o << "; " << not_run << " experiment(s) not run yet";
  o << ".</p>\n";
  long paper = 0, paper_held = 0, ours = 0, ours_held = 0;
  for (const auto& out : r.outcomes)
    for (const auto& c : out.claims) {
      (c.claim->source.is_paper() ? paper : ours) += 1;
      (c.claim->source.is_paper() ? paper_held : ours_held) += c.holds ? 1 : 0;
    }
  o << "<p>" << paper << " claim(s) quote the paper (its abstracts v1 to v3 or the authors' "
    << "README), " << paper_held << " of them hold; " << ours << " are inferences of ours "
    << "(from the setup or the paper's words, each saying from what), " << ours_held
    << " of them hold. An inference that does not hold is a finding of ours, shown with its "
       "measurement; it says nothing against the paper.</p>\n";

  o << "<h2 id=\"claims\">Claims</h2>\n<table class=\"claims\">\n"
       "<tr><th>experiment</th><th>claim</th><th>verdict</th></tr>\n";
  for (const auto& out : r.outcomes) {
    const PaperExperiment& e = *out.experiment;
    if (out.claims.empty()) {
      o << "<tr><td><a href=\"#" << html_escape(e.name) << "\">" << html_escape(e.name)
        << "</a></td><td class=\"missing\">" << e.claims.size() << " claim(s)</td><td></td><td>"
        << html_escape(out.state == ExperimentState::kFailed ? "failed: " + out.error
                                                             : experiment_state_name(out.state))
        << "</td></tr>\n";
      continue;
    }
    for (const auto& c : out.claims)
      o << "<tr><td><a href=\"#" << html_escape(e.name) << "\">" << html_escape(e.name)
        << "</a></td><td>" << html_escape(c.claim->says) << "</td><td>"
        << (c.claim->source.is_paper() ? "paper (" + html_escape(c.claim->source.from) + ")"
                                       : std::string("inference (ours)"))
        << "</td><td>" << verdict(c) << "</td></tr>\n";
  }
  o << "</table>\n";

  for (std::size_t k = 0; k < r.outcomes.size(); ++k) {
    const ExperimentOutcome& out = r.outcomes[k];
    const PaperExperiment& e = *out.experiment;
    o << "<h2 id=\"" << html_escape(e.name) << "\">" << k + 1 << ". " << html_escape(e.title)
      << "</h2>\n<p>" << html_escape(e.about) << "</p>\n";
    o << "<table class=\"meta\">\n";
    row("name", e.name);
    std::error_code ec;
    const std::string shown = std::filesystem::proximate(e.file, ec).string();
    row("config", ec || shown.rfind("..", 0) == 0 ? e.file : shown);
    row("kind", e.kind + " (" + std::to_string(out.runs) + (out.runs == 1 ? " run)" : " runs)"));
    if (!e.paper.empty()) row("in the paper", e.paper);
    row("state", out.state == ExperimentState::kRun ? "run now, " + duration_text(out.wall_time_s)
                 : out.state == ExperimentState::kFailed ? "failed: " + out.error
                 : out.state == ExperimentState::kReused
                     ? "reused (complete from an earlier invocation)"
                     : experiment_state_name(out.state));
    if (out.run_time_s > 0)
      row("run time", duration_text(out.run_time_s) +
                          (out.runs > 1 ? " (the runs' wall times summed; a sweep runs them in "
                                          "parallel)"
                                        : ""));
    o << "</table>\n";
    if (!out.dir.empty()) {
      const std::string rel =
          std::filesystem::path(out.dir).lexically_relative(options.out_dir).string();
      o << "<p><a href=\"" << html_escape(rel + "/report.html") << "\">Full report</a> (every "
        << "figure and table of <code>" << html_escape(rel) << "</code>)</p>\n";
    }
    if (!out.claims.empty()) {
      o << "<table class=\"claims\">\n<tr><th>claim</th><th>value</th><th>holds if</th>"
           "<th>measured</th><th>verdict</th></tr>\n";
      for (const auto& c : out.claims) {
        o << "<tr><td>" << html_escape(c.claim->says) << "<br>" << source_html(*c.claim);
        o << "</td><td class=\"v\">" << html_escape(c.claim->value_text) << "</td><td class=\"v\">"
          << html_escape(c.claim->holds_if_text) << (c.claim->for_any ? " (any point)" : "")
          << "</td><td>" << measured_html(c) << "</td><td>" << verdict(c);
        if (!c.holds)
          o << "<br><span class=\"note\">"
            << (c.claim->source.is_paper() ? "sih's measurement disagrees"
                                           : "a finding of ours: the inference does not hold")
            << "</span>";
        o << "</td></tr>\n";
      }
      o << "</table>\n";
    }
    for (std::size_t t = 0; t < out.thresholds.size() && t < e.thresholds.size(); ++t)
      o << thresholds_html(e.thresholds[t], out.thresholds[t]);
    if (!out.figures.empty()) {
      o << "<div class=\"figs\">\n";
      for (const auto& f : out.figures) {
        const std::string name = std::filesystem::path(f).filename().string();
        o << "<figure><img src=\"" << html_escape(f) << "\" alt=\""
          << html_escape(figure_caption(name)) << "\"><figcaption><b>" << html_escape(name)
          << "</b>: " << html_escape(figure_caption(name)) << "</figcaption></figure>\n";
      }
      o << "</div>\n";
    }
  }
  o << "</body>\n</html>\n";
  return o.str();
}

}  // namespace sih
