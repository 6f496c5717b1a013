#include "sih/rundir/run_folder.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "sih/base/input_file.hpp"
#include "sih/base/types.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace sih {
namespace {

// The file's bytes; nullopt when there is no such file. A file that is there but cannot be
// opened or read (a folder in its place, an I/O error) is an InputError: its absence is not
// meant.
std::optional<std::string> read_if_present(const fs::path& p) {
  std::error_code ec;
  if (fs::status(p, ec).type() == fs::file_type::not_found) return std::nullopt;
  const auto fail = [&p](int err) {
    return InputError(fmt::format("{}: cannot be read: {}", p.string(), std::strerror(err)));
  };
  if (fs::is_directory(p, ec)) throw fail(EISDIR);
  const int fd = open_regular_file(p.string());
  if (fd < 0) throw fail(errno);
  std::string text;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw fail(err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

json parse_object(const fs::path& p, const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw InputError(p.string() + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw InputError(p.string() + ": not a JSON object");
  return j;
}

// A number written by format_number (or an integer step); false for anything else.
bool parse_number(const std::string& cell, double* v) {
  if (cell.empty()) return false;
  char* end = nullptr;
  *v = std::strtod(cell.c_str(), &end);
  return end != cell.c_str() && *end == '\0';
}

// The CSV of `p`, its header present and every row as long as the header (a truncated file
// has a short last row).
CsvTable read_table(const fs::path& p, const std::string& text) {
  CsvTable t = parse_csv_table(text);
  if (t.header.empty() || (t.header.size() == 1 && t.header[0].empty()))
    throw InputError(p.string() + ": empty (no header line)");
  for (std::size_t r = 0; r < t.rows.size(); ++r)
    if (t.rows[r].size() != t.header.size())
      throw InputError(fmt::format("{}: row {}: {} cells, the header has {}", p.string(), r + 1,
                                   t.rows[r].size(), t.header.size()));
  return t;
}

int required_col(const fs::path& p, const CsvTable& t, const std::string& name) {
  const int c = t.col(name);
  if (c < 0) throw InputError(fmt::format("{}: no column \"{}\" in its header", p.string(), name));
  return c;
}

[[noreturn]] void bad_cell(const fs::path& p, const CsvTable& t, std::size_t r, int c,
                           const char* what) {
  throw InputError(fmt::format("{}: row {}, column {}: '{}' {}", p.string(), r + 1,
                               t.header[static_cast<std::size_t>(c)], t.at(r, c), what));
}

RunStatus status_cell(const fs::path& p, const CsvTable& t, std::size_t r, int c) {
  const auto s = run_status_from_name(t.at(r, c));
  if (!s) bad_cell(p, t, r, c, "is not a run status (ok or diverged)");
  return *s;
}

}  // namespace

std::optional<json> read_folder_config(const std::string& dir) {
  const fs::path p = fs::path(dir) / "config.json";
  const auto text = read_if_present(p);
  if (!text) return std::nullopt;
  return parse_object(p, *text);
}

std::optional<RunSummary> read_run_summary(const std::string& run_dir) {
  const fs::path p = fs::path(run_dir) / "summary.json";
  const auto text = read_if_present(p);
  if (!text) return std::nullopt;
  RunSummary s;
  s.json = parse_object(p, *text);
  const auto st = s.json.find("status");
  if (st == s.json.end() || !st->is_string())
    throw InputError(p.string() + ": no \"status\" (ok or diverged)");
  const auto status = run_status_from_name(st->get<std::string>());
  if (!status)
    throw InputError(
        fmt::format("{}: status {}: not a run status (ok or diverged)", p.string(), st->dump()));
  s.status = *status;
  const auto wall = s.json.find("wall_time_s");
  if (wall != s.json.end() && !wall->is_null()) {
    if (!wall->is_number())
      throw InputError(fmt::format("{}: wall_time_s {}: not a number", p.string(), wall->dump()));
    s.wall_time_s = wall->get<double>();
  }
  s.final = json::object();
  const auto fin = s.json.find("final");
  if (fin != s.json.end()) {
    if (!fin->is_object())
      throw InputError(fmt::format("{}: final: not an object of metrics", p.string()));
    for (const auto& [k, v] : fin->items())
      if (!v.is_number())
        throw InputError(fmt::format("{}: final.{} {}: not a number", p.string(), k, v.dump()));
    s.final = *fin;
  }
  return s;
}

double MetricsTable::value(std::size_t r, int c) const {
  return c >= 0 && static_cast<std::size_t>(c) < values[r].size() ? values[r][c] : NAN;
}

MetricsTable read_run_metrics(const std::string& run_dir) {
  const fs::path p = fs::path(run_dir) / "metrics.csv";
  const auto text = read_if_present(p);
  if (!text) throw InputError(p.string() + ": no such file (every run folder has one)");
  MetricsTable m;
  m.csv = read_table(p, *text);
  const int step = required_col(p, m.csv, "step");
  m.values.reserve(m.csv.rows.size());
  for (std::size_t r = 0; r < m.csv.rows.size(); ++r) {
    std::vector<double> row(m.csv.header.size(), NAN);
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string& cell = m.csv.rows[r][c];
      if (cell.empty() && static_cast<int>(c) != step) continue;
      if (!parse_number(cell, &row[c]))
        bad_cell(p, m.csv, r, static_cast<int>(c), "is not a number");
    }
    m.values.push_back(std::move(row));
  }
  return m;
}

std::optional<SweepRuns> read_sweep_runs(const std::string& sweep_dir, const json& config) {
  const fs::path cfg = fs::path(sweep_dir) / "config.json";
  const auto swept = config.find("swept");
  if (swept == config.end() || !swept->is_array())
    throw InputError(cfg.string() + ": no \"swept\" list (not a sweep folder)");
  SweepRuns s;
  for (const auto& a : *swept) {
    if (!a.is_string())
      throw InputError(fmt::format("{}: swept: {}: not an axis name", cfg.string(), a.dump()));
    s.axes.push_back(a.get<std::string>());
  }
  const fs::path p = fs::path(sweep_dir) / "runs.csv";
  const auto text = read_if_present(p);
  if (!text) return std::nullopt;
  s.csv = read_table(p, *text);
  s.id_col = required_col(p, s.csv, "run_id");
  s.repeat_col = required_col(p, s.csv, "repeat");
  s.status_col = required_col(p, s.csv, "status");
  s.wall_col = s.csv.col("wall_time_s");
  for (const auto& a : s.axes) s.axis_cols.push_back(required_col(p, s.csv, a));
  for (std::size_t r = 0; r < s.csv.rows.size(); ++r) {
    s.status.push_back(status_cell(p, s.csv, r, s.status_col));
    double w = NAN;
    const std::string cell = s.csv.at(r, s.wall_col);
    if (!cell.empty() && !parse_number(cell, &w))
      bad_cell(p, s.csv, r, s.wall_col, "is not a number");
    s.wall_s.push_back(w);
  }
  return s;
}

}  // namespace sih
