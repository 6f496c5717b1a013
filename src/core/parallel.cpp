#include "sih/core/parallel.hpp"

#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace sih {

double cpu_max_quota(const char* text) {
  char quota[32] = {0};
  double period = 0;
  if (std::sscanf(text, "%31s %lf", quota, &period) != 2 || period <= 0) return 0;
  char* end = nullptr;
  const double q = std::strtod(quota, &end);
  if (end == quota || q <= 0) return 0;  // "max" or garbage: no quota
  return q / period;
}

namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The smallest quota (in CPUs) set on `dir` or an ancestor up to `root`; 0 when none.
template <typename Read>
double smallest_quota(const std::string& root, std::string rel, Read read) {
  double best = 0;
  while (true) {
    const double q = read(root + rel);
    if (q > 0 && (best == 0 || q < best)) best = q;
    if (rel.empty() || rel == "/") break;
    const auto slash = rel.find_last_of('/');
    rel = slash == std::string::npos || slash == 0 ? std::string() : rel.substr(0, slash);
  }
  return best;
}

// The quota of this process's cgroup, v2 or v1; 0 when unlimited or not found.
double cgroup_cpu_quota() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  double best = 0;
  const auto take = [&best](double q) {
    if (q > 0 && (best == 0 || q < best)) best = q;
  };
  while (std::getline(in, line)) {
    // "0::/path" (v2) or "3:cpu,cpuacct:/path" (v1).
    const auto c1 = line.find(':');
    const auto c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    const std::string controllers = line.substr(c1 + 1, c2 - c1 - 1);
    std::string path = line.substr(c2 + 1);
    if (path == "/") path.clear();
    if (controllers.empty()) {
      take(smallest_quota("/sys/fs/cgroup", path, [](const std::string& dir) {
        return cpu_max_quota(read_first_line(dir + "/cpu.max").c_str());
      }));
      continue;
    }
    std::stringstream list(controllers);
    std::string c;
    bool cpu = false;
    while (std::getline(list, c, ',')) cpu = cpu || c == "cpu";
    if (!cpu) continue;
    for (const char* mount : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
      take(smallest_quota(mount, path, [](const std::string& dir) {
        const std::string quota = read_first_line(dir + "/cpu.cfs_quota_us");
        const std::string period = read_first_line(dir + "/cpu.cfs_period_us");
        if (quota.empty() || period.empty()) return 0.0;
        return cpu_max_quota((quota + " " + period).c_str());
      }));
    }
  }
  return best;
}

}  // namespace

int available_cpus() {
  static const int cpus = [] {
    int n = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
    if (n <= 0) n = omp_get_num_procs();
    const double quota = cgroup_cpu_quota();
    if (quota > 0) n = std::min(n, static_cast<int>(std::ceil(quota - 1e-9)));
    return std::max(1, n);
  }();
  return cpus;
}

namespace {
std::atomic<double> g_min_seconds_per_thread{kMinSecondsPerThread};
}  // namespace

double min_seconds_per_thread() { return g_min_seconds_per_thread.load(std::memory_order_relaxed); }

void set_min_seconds_per_thread(double seconds) {
  g_min_seconds_per_thread.store(std::max(0.0, seconds), std::memory_order_relaxed);
}

int threads_for_seconds(double seconds) {
  if (omp_in_parallel()) return 1;
  const int max_threads = std::max(1, omp_get_max_threads());
  const double grain = min_seconds_per_thread();
  if (grain <= 0) return max_threads;
  const double worth = std::floor(seconds / grain);
  if (!(worth >= 2)) return 1;
  return worth >= max_threads ? max_threads : static_cast<int>(worth);
}

ScopedMaxThreads::ScopedMaxThreads(int threads) : saved_(omp_get_max_threads()) {
  omp_set_num_threads(std::max(1, std::min(threads, saved_)));
}

ScopedMaxThreads::~ScopedMaxThreads() { omp_set_num_threads(saved_); }

}  // namespace sih
