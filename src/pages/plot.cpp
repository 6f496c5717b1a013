#include "sih/pages/plot.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sih/base/input_file.hpp"
#include "sih/base/interrupt.hpp"
#include "sih/base/resource_dir.hpp"
#include "sih/base/types.hpp"
#include "sih/experiments/sweep.hpp"
#include "sih/formats/csv_table.hpp"
#include "sih/rundir/run_folder.hpp"

extern char** environ;

namespace sih {
namespace {

namespace fs = std::filesystem;

// A run folder (kind == nullptr) or a sweep folder of the given kind.
struct Folder {
  const SweepKind* kind = nullptr;
};

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

CsvTable read_csv(const fs::path& p) {
  std::optional<CsvTable> table = read_csv_table(p.string());
  if (!table) throw InputError(p.string() + ": cannot be read");
  return std::move(*table);
}

// Names the first of `required` absent from the CSV header.
void require_columns(const fs::path& p, const CsvTable& table,
                     const std::vector<std::string>& required) {
  for (const auto& r : required) {
    if (table.col(r) < 0) throw InputError(p.string() + ": no column \"" + r + "\" in its header");
  }
  if (table.rows.empty()) throw InputError(p.string() + ": header only, no rows");
}

nlohmann::json read_config(const fs::path& dir) {
  std::optional<nlohmann::json> j = read_folder_config(dir.string());
  if (!j) throw InputError(dir.string() + ": no config.json (not a complete sih folder)");
  return std::move(*j);
}

Folder classify(const fs::path& dir) {
  const std::string d = dir.string();
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw InputError(d + ": no such folder");
  if (!is_dir(dir)) throw InputError(d + ": not a folder");
  const bool has_metrics = is_input_file(dir / "metrics.csv");
  const bool has_aggregate = is_input_file(dir / "aggregate.csv");
  const bool has_config = is_input_file(dir / "config.json");
  if (!has_metrics && !has_aggregate && !has_config) {
    std::string msg = d + ": not a sih run or sweep folder (no metrics.csv or aggregate.csv)";
    // Plotting the out/ folder itself is the likely slip: point at a folder inside it.
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (is_file(entry.path() / "metrics.csv") || is_file(entry.path() / "aggregate.csv")) {
        msg += "; plot a folder inside it, e.g. " + entry.path().string();
        break;
      }
    }
    throw InputError(msg);
  }
  const nlohmann::json config = read_config(dir);
  // A sweep's config says which sweep it was; a run's config has no "command".
  if (config.contains("command")) {
    const std::string command =
        config["command"].is_string() ? config["command"].get<std::string>() : "";
    const SweepKind* kind = nullptr;
    std::string known;
    for (const SweepKind& k : sweep_kinds()) {
      if (k.name == command) kind = &k;
      known += (known.empty() ? "\"" : ", \"") + k.name + "\"";
    }
    if (!kind) {
      throw InputError(d + "/config.json: command " + config["command"].dump() +
                       " has no figures (expected " + known + ")");
    }
    const fs::path agg = dir / "aggregate.csv";
    if (!has_aggregate) {
      throw InputError(d + ": no aggregate.csv (an unfinished " + command + " sweep?)");
    }
    const CsvTable head = read_csv(agg);
    switch (kind->aggregate) {
      case AggregateShape::kFinalPerPoint:
        require_columns(agg, head, {"optimizer", "lr", "train_loss_mean", "train_loss_std"});
        break;
      case AggregateShape::kLossesPerStep: {
        if (head.header.size() < 2 || head.header[1] != "step") {
          throw InputError(agg.string() + ": header must start with <varying_param>,step");
        }
        require_columns(agg, head, {"train_loss_mean", "val_loss_mean"});
        break;
      }
      case AggregateShape::kAllPerStep:
        require_columns(agg, head, {"step", "runs_used", "runs_total"});
        break;
    }
    return {kind};
  }
  if (!has_metrics) {
    throw InputError(has_aggregate ? d + "/config.json: no \"command\" (a sweep folder needs it)"
                                   : d + ": no metrics.csv (an unfinished run?)");
  }
  // Every cell checked here: gnuplot would draw a malformed file without a word.
  if (read_run_metrics(d).csv.rows.empty())
    throw InputError((dir / "metrics.csv").string() + ": header only, no rows");
  return {};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos) lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> scripts_for(const Folder& folder, const fs::path& dir) {
  if (folder.kind) return folder.kind->plot_scripts;
  std::vector<std::string> scripts = {"losses.gp", "kta.gp", "alignment.gp", "alpha.gp",
                                      "spikes.gp"};
  if (is_input_file(dir / "init_pc_beta_alignment.csv")) scripts.push_back("init_alignment.gp");
  if (is_dir(dir / "spectra")) {
    scripts.push_back("spectra.gp");
    scripts.push_back("powerlaw.gp");
  }
  if (is_dir(dir / "overlaps")) scripts.push_back("overlaps.gp");
  return scripts;
}

}  // namespace

bool is_input_file(const std::filesystem::path& p) {
  std::error_code ec;
  const fs::file_status st = fs::status(p, ec);
  if (fs::is_regular_file(st)) return true;
  if (fs::exists(st) && !fs::is_directory(st)) require_regular_file(p.string());
  return false;
}

std::string find_gnuplot() {
  const char* path = std::getenv("PATH");
  std::istringstream in(path ? path : "");
  std::string entry;
  while (std::getline(in, entry, ':')) {
    if (entry.empty()) entry = ".";
    const std::string candidate = entry + "/gnuplot";
    if (is_file(candidate) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw InputError("gnuplot not found: install gnuplot-nox (scripts/setup-deps.sh)");
}

ScriptOutput run_gnuplot(const std::string& gnuplot, const std::string& script,
                         const std::string& dir, const std::vector<std::string>& env) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<std::string> args = {gnuplot, "-c", script, dir};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The environment, with `env`'s NAME=VALUE entries replacing those of the same name.
  std::vector<std::string> env_strings = env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('=') + 1);
    bool replaced = false;
    for (const auto& x : env) replaced = replaced || x.compare(0, name.size(), name) == 0;
    if (!replaced) env_strings.push_back(entry);
  }
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  // Its own process group, so that an interruption kills gnuplot with the shells and awks its
  // scripts start.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, gnuplot.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw std::runtime_error("cannot start " + gnuplot + ": " + std::strerror(rc));
  }

  // Both pipes are drained together: a child blocked on a full stderr pipe would otherwise
  // never close stdout.
  ScriptOutput result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buf[4096];
  int interrupted = 0;
  while (open_fds > 0) {
    // A signal to sih ends the script at once: gnuplot is killed and reaped, never left behind.
    if ((interrupted = interrupt_signal().load(std::memory_order_relaxed)) != 0) {
      ::kill(-pid, SIGKILL);
      break;
    }
    const int ready = ::poll(fds, 2, 100);
    if (ready == 0) continue;
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  while (::waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
  }
  if (interrupted) throw Interrupted(interrupted);
  return result;
}

std::string png_problem(const std::string& path) {
  // Every PNG starts with this signature and ends with the IEND chunk (length 0, type, CRC).
  static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  static const unsigned char kEnd[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return "missing";
  if (!fs::is_regular_file(st)) return "not a regular file";
  const auto size = fs::file_size(path, ec);
  if (ec) return "cannot be read: " + ec.message();
  if (size == 0) return "empty (0 bytes)";
  std::ifstream in(path, std::ios::binary);
  unsigned char head[8] = {}, tail[12] = {};
  if (size < sizeof head + sizeof tail || !in.read(reinterpret_cast<char*>(head), sizeof head))
    return "truncated (" + std::to_string(size) + " bytes)";
  in.seekg(static_cast<std::streamoff>(size - sizeof tail));
  if (!in.read(reinterpret_cast<char*>(tail), sizeof tail)) return "cannot be read";
  if (std::memcmp(head, kSignature, sizeof head) != 0) return "not a PNG (no PNG signature)";
  if (std::memcmp(tail, kEnd, sizeof tail) != 0) return "truncated (no IEND chunk at its end)";
  return "";
}

PlotStaging::PlotStaging(const fs::path& dir) : final_(dir / "plots") {
  // The host in the name keeps processes of other nodes (sharing the folder over NFS) apart.
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  const std::string mine = std::string("plots.partial-") + host + "-";
  staging_ = dir / (mine + std::to_string(::getpid()));
  // Staging folders left by a plot of this host that was killed (kill -9, power loss).
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), last; !ec && it != last; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, mine.size(), mine) != 0) continue;
    const std::string pid_text = name.substr(mine.size());
    char* end = nullptr;
    const long pid = std::strtol(pid_text.c_str(), &end, 10);
    if (pid_text.empty() || *end || pid <= 0) continue;
    if (pid != ::getpid() && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH))
      continue;  // alive (or not ours to judge)
    std::error_code ignored;
    fs::remove_all(it->path(), ignored);
  }
  ec.clear();
  fs::remove_all(staging_, ec);
  fs::create_directory(staging_, ec);
  if (ec) throw OutputError(staging_.string() + ": cannot create folder: " + ec.message());
}

PlotStaging::~PlotStaging() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

void PlotStaging::commit() {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(final_, ec)) && !fs::is_directory(final_, ec))
    throw InputError(final_.string() +
                     ": exists and is not a folder; sih does not replace it (move or remove "
                     "it)");
  if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, final_.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(staging_, ec);  // now holds the previous figures
  } else if (errno == ENOENT) {
    if (::rename(staging_.c_str(), final_.c_str()) != 0)
      throw OutputError(final_.string() +
                        ": cannot move the figures into place: " + std::strerror(errno));
  } else {
    throw OutputError(final_.string() +
                      ": cannot move the figures into place: " + std::strerror(errno));
  }
  committed_ = true;
}

PlotResult plot_folder(const std::string& out_dir, const std::string& scripts_dir) {
  const fs::path dir(out_dir);
  const Folder kind = classify(dir);
  if (!is_file(fs::path(scripts_dir) / "common.gp")) {
    throw InputError(scripts_dir +
                     ": no sih plot scripts there (no common.gp); set SIH_PLOT_SCRIPTS");
  }
  const std::string gnuplot = find_gnuplot();
  throw_if_interrupted();

  PlotStaging staging(dir);
  const std::string staged = staging.path().string();
  PlotResult result;
  for (const auto& name : scripts_for(kind, dir)) {
    throw_if_interrupted();
    const std::string script = (fs::path(scripts_dir) / name).string();
    if (!is_file(script)) throw InputError(script + ": plot script missing");
    const ScriptOutput out = run_gnuplot(gnuplot, script, out_dir, {"SIH_PLOTS_DIR=" + staged});
    const auto err_lines = lines_of(out.err);
    if (!WIFEXITED(out.status) || WEXITSTATUS(out.status) != 0) {
      const std::string why =
          err_lines.empty() ? (WIFSIGNALED(out.status)
                                   ? "killed by signal " + std::to_string(WTERMSIG(out.status))
                                   : "exit status " + std::to_string(WEXITSTATUS(out.status)))
                            : err_lines.back();
      throw std::runtime_error("plot script " + name + " failed on " + out_dir + ": " + why);
    }
    for (const auto& file : lines_of(out.out)) {
      // A reported file that is not there, or outside the staging folder, means a script
      // broke the stdout protocol.
      if (!is_file(file) || fs::path(file).parent_path() != staging.path()) {
        throw std::runtime_error("plot script " + name + " reported " + file +
                                 ", which does not exist in " + staged);
      }
      // gnuplot exits 0 when the disk fills up under it, leaving an empty or cut-off PNG.
      const std::string problem = png_problem(file);
      if (!problem.empty())
        throw OutputError((staging.final_path() / fs::path(file).filename()).string() + ": " +
                          problem + " (written by " + name + "; disk full?)");
      result.files.push_back((staging.final_path() / fs::path(file).filename()).string());
    }
    for (const auto& line : err_lines) {
      if (line.rfind("note: ", 0) == 0) result.notes.push_back(line.substr(6));
    }
  }
  throw_if_interrupted();
  staging.commit();
  return result;
}

std::string default_plot_scripts_dir() {
  return resource_dir("SIH_PLOT_SCRIPTS", "scripts/plot", "common.gp");
}

}  // namespace sih
