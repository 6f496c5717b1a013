#pragma once
// How many threads a parallel region gets. Two rules (docs/PERFORMANCE.md, "Two processes on
// one machine"):
//  - `threads: 0` means the CPUs this process may use: its affinity mask, capped by the CPU
//    quota of its cgroup (a container or a SLURM task given 2 CPUs of a 64-core node gets 2).
//  - A region is worth its threads only when each has enough work. Every region ends in a
//    barrier; alone on the machine a barrier costs microseconds, but when another process
//    holds the other cores a barrier waits for a descheduled team thread, i.e. for a
//    scheduler time slice (milliseconds). So small loops run on the calling thread.
// The thread count never changes results: every parallel loop of sih computes each element
// the same way on any split (model.hpp, sgemm.hpp).

namespace sih {

// The CPUs this process may use: sched_getaffinity's count, capped by the cgroup's CPU quota
// (cgroup v2 cpu.max or v1 cpu.cfs_quota_us, over the process's cgroup and its ancestors),
// rounded up; at least 1. Computed once.
int available_cpus();

// The quota, in CPUs, of a cgroup v2 `cpu.max` line ("max 100000" or "200000 100000"); 0 when
// unlimited or unreadable.
double cpu_max_quota(const char* text);

// A region with less single-thread work than this per thread runs on fewer threads (on the
// caller alone below twice this). Issue 24's small run (regions of 10-60 us) then has no
// barrier at all; at the headline size (n=2000, d=1000, h=1500) every region of a training
// step keeps all its threads.
inline constexpr double kMinSecondsPerThread = 200e-6;

// The grain in force: kMinSecondsPerThread unless set. Tests set 0 (every region on all its
// threads) so that their checks of the same bits for every thread count run the parallel paths
// at small sizes.
double min_seconds_per_thread();
void set_min_seconds_per_thread(double seconds);

// Threads for a region of `seconds` of single-thread work: at most omp_get_max_threads(), 1
// inside another parallel region or for small work.
int threads_for_seconds(double seconds);

// Work measured in floating-point operations of a GEMM (~150 GFLOP/s per core here) or in
// elements of an elementwise loop (~0.5 ns each: tanh, an Adam update).
inline int threads_for_flops(double flops) { return threads_for_seconds(flops / 150e9); }
inline int threads_for_elements(double elements) { return threads_for_seconds(elements * 0.5e-9); }

// Caps omp_get_max_threads() of the calling thread for a scope (Eigen's GEMM takes its
// thread count from there) and restores it.
class ScopedMaxThreads {
 public:
  explicit ScopedMaxThreads(int threads);
  ~ScopedMaxThreads();
  ScopedMaxThreads(const ScopedMaxThreads&) = delete;
  ScopedMaxThreads& operator=(const ScopedMaxThreads&) = delete;

 private:
  int saved_;
};

}  // namespace sih
