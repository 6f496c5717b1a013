#include "sih/rundir/output.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "sih/formats/array_io.hpp"

namespace fs = std::filesystem;

namespace sih {

nlohmann::json metrics_to_json(const MetricsRow& row) {
  nlohmann::json j = nlohmann::json::object();
  const auto& cols = metrics_columns();
  const auto vals = metrics_values(row);
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (!vals[i] || !std::isfinite(*vals[i])) continue;
    if (i == 0)
      j[cols[i]] = row.step;
    else
      j[cols[i]] = *vals[i];
  }
  return j;
}

std::string format_number(double v) { return fmt::format("{:.17g}", v); }

namespace {

// A run's final name holding something other than a folder was not made by sih: replacing it
// (commit removes an old run folder for --force) would destroy someone's file.
void refuse_foreign_file(const std::string& final_dir) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(final_dir, ec);
  if (ec || !fs::exists(st)) return;
  if (fs::is_directory(fs::status(final_dir, ec))) return;
  throw InputError(
      fmt::format("{}: exists and is not a run folder; sih does not replace it (move or remove it)",
                  final_dir));
}

}  // namespace

bool run_folder_complete(const std::string& dir) {
  return fs::is_regular_file(fs::path(dir) / "summary.json");
}

void check_output_folder(const std::string& dir, const std::string& option) {
  std::error_code ec;
  const fs::path given(dir);
  if (fs::exists(given, ec) && !fs::is_directory(given, ec))
    throw InputError(fmt::format("{}: {}: is a file, not a folder", option, dir));
  fs::path p = given;
  while (!p.empty() && !fs::exists(p, ec)) p = p.parent_path();
  if (p.empty()) p = ".";
  if (!fs::is_directory(p, ec))
    throw InputError(
        fmt::format("{}: {}: cannot create folder: {} is a file", option, dir, p.string()));
  if (::access(p.c_str(), W_OK) != 0)
    throw InputError(
        fmt::format("{}: {}: cannot create folder: {} is not writable", option, dir, p.string()));
}

void check_output_file(const std::string& path, const std::string& option) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw InputError(fmt::format("{}: {}: is a folder, not a file", option, path));
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::exists(parent, ec))
    throw InputError(fmt::format("{}: {}: no such folder {}", option, path, parent.string()));
  if (!fs::is_directory(parent, ec))
    throw InputError(
        fmt::format("{}: {}: {} is a file, not a folder", option, path, parent.string()));
  if (::access(parent.c_str(), W_OK) != 0)
    throw InputError(
        fmt::format("{}: {}: folder {} is not writable", option, path, parent.string()));
}

RunWriter::RunWriter(std::string final_dir) : final_(std::move(final_dir)) {
  const fs::path f(final_);
  const fs::path parent = f.parent_path().empty() ? fs::path(".") : f.parent_path();
  std::error_code ec;
  refuse_foreign_file(final_);
  // The folders made here, deepest first: a run that fails on bad input removes them again.
  for (fs::path p = parent; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    created_.push_back(p.string());
    if (p == p.parent_path()) break;
  }
  fs::create_directories(parent, ec);
  if (ec)
    throw InputError(
        fmt::format("out_dir: {}: cannot create folder: {}", parent.string(), ec.message()));
  // The host in the name keeps processes of other nodes (sharing the folder over NFS) apart.
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  const std::string prefix = fmt::format(".{}.partial-", f.filename().string());
  const std::string mine = fmt::format("{}-", host);
  staging_ = (parent / fmt::format("{}{}{}", prefix, mine, ::getpid())).string();
  // Staging folders of this run left by a process of this host that died (kill -9, power loss).
  for (fs::directory_iterator it(parent, ec), last; !ec && it != last; it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0 ||
        name.compare(prefix.size(), mine.size(), mine) != 0)
      continue;
    const std::string pid_text = name.substr(prefix.size() + mine.size());
    char* end = nullptr;
    const long pid = std::strtol(pid_text.c_str(), &end, 10);
    if (pid_text.empty() || *end || pid <= 0) continue;
    if (pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) == 0) continue;  // alive
    if (pid != ::getpid() && errno != ESRCH) continue;
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
  }
  ec.clear();
  fs::remove_all(staging_, ec);
  fs::create_directories(staging_, ec);
  if (ec || ::access(staging_.c_str(), W_OK) != 0)
    throw InputError(fmt::format("out_dir: {}: not writable", parent.string()));
}

RunWriter::~RunWriter() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
    for (const auto& dir : created_)
      if (!fs::remove(dir, ec)) break;  // only while empty: another run may have written there
  }
}

std::string RunWriter::path(const std::string& relative) const {
  const fs::path p = fs::path(staging_) / relative;
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  if (ec)
    throw OutputError(
        fmt::format("{}: cannot create folder: {}", p.parent_path().string(), ec.message()));
  return p.string();
}

void RunWriter::write_text(const std::string& relative, const std::string& content) {
  write_file_atomic(path(relative), content);
}

void RunWriter::write_json(const std::string& relative, const nlohmann::json& j) {
  write_text(relative, j.dump(2) + "\n");
}

void RunWriter::write_column(const std::string& relative, const std::string& header,
                             const VecD& v) {
  std::string s = header + "\n";
  s.reserve(s.size() + static_cast<std::size_t>(v.size()) * 24);
  for (Eigen::Index i = 0; i < v.size(); ++i) {
    s += format_number(v[i]);
    s += '\n';
  }
  write_text(relative, s);
}

void RunWriter::write_matrix_npy(const std::string& relative, const MatD& m) {
  write_npy(path(relative), m);
}
void RunWriter::write_matrix_npy(const std::string& relative, const Mat<float>& m) {
  write_npy(path(relative), m);
}

void RunWriter::add_metrics(const MetricsRow& row) { rows_.push_back(row); }

std::string metrics_csv(const std::vector<MetricsRow>& rows) {
  std::string s;
  const auto& cols = metrics_columns();
  for (std::size_t i = 0; i < cols.size(); ++i) s += (i ? "," : "") + cols[i];
  s += '\n';
  for (const auto& r : rows) {
    const auto vals = metrics_values(r);
    for (std::size_t i = 0; i < vals.size(); ++i) {
      if (i) s += ',';
      if (i == 0)
        s += std::to_string(r.step);
      else if (vals[i] && std::isfinite(*vals[i]))
        s += format_number(*vals[i]);
    }
    s += '\n';
  }
  return s;
}

void RunWriter::log(const std::string& line) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", std::localtime(&now));
  log_ += fmt::format("{} {}\n", stamp, line);
  if (!quiet) std::cerr << "[sih] " << line << '\n';
}

void RunWriter::commit(const nlohmann::json& summary) {
  write_text("metrics.csv", metrics_csv(rows_));
  write_text("run.log", log_);
  write_json("summary.json", summary);
  std::error_code ec;
  refuse_foreign_file(final_);                         // it may have appeared while the run trained
  if (fs::exists(final_)) fs::remove_all(final_, ec);  // --force re-run replaces the old one
  fs::rename(staging_, final_, ec);
  if (ec)
    throw OutputError(
        fmt::format("{}: cannot move the finished run into place: {}", final_, ec.message()));
  committed_ = true;
}

}  // namespace sih
