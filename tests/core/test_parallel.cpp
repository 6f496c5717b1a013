// Thread counts (src/core/parallel.cpp): the CPUs the process may use, cgroup quotas, and the
// work below which a region stays on the calling thread.
#include <omp.h>
#include <sched.h>

#include "sih/core/parallel.hpp"
#include "test_util.hpp"

using namespace sih;

TEST(Parallel, CpuMaxQuotaReadsCgroupV2Lines) {
  EXPECT_EQ(cpu_max_quota("max 100000"), 0);
  EXPECT_EQ(cpu_max_quota("200000 100000"), 2);
  EXPECT_EQ(cpu_max_quota("150000 100000\n"), 1.5);
  EXPECT_EQ(cpu_max_quota("50000 100000"), 0.5);
  EXPECT_EQ(cpu_max_quota(""), 0);
  EXPECT_EQ(cpu_max_quota("-1 100000"), 0);  // cgroup v1's "no quota", as passed by the reader
  EXPECT_EQ(cpu_max_quota("100000 0"), 0);
  EXPECT_EQ(cpu_max_quota("garbage"), 0);
}

TEST(Parallel, AvailableCpusIsWithinTheAffinityMask) {
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_GE(available_cpus(), 1);
  EXPECT_LE(available_cpus(), CPU_COUNT(&set));
}

TEST(Parallel, SmallWorkStaysOnOneThreadLargeWorkUsesAll) {
  const double saved = min_seconds_per_thread();
  set_min_seconds_per_thread(kMinSecondsPerThread);
  omp_set_num_threads(4);
  EXPECT_EQ(threads_for_seconds(0), 1);
  EXPECT_EQ(threads_for_seconds(1.5 * kMinSecondsPerThread), 1);
  EXPECT_EQ(threads_for_seconds(3.5 * kMinSecondsPerThread), 3);
  EXPECT_EQ(threads_for_seconds(1.0), 4);
  // The training step of issue 24's small case (n=400, d=100, h=150): one thread.
  EXPECT_EQ(threads_for_flops(2.0 * 400 * 150 * 100), 1);
  EXPECT_EQ(threads_for_elements(400.0 * 150), 1);
  // The headline size (n=2000, d=1000, h=1500): every region keeps its threads.
  EXPECT_EQ(threads_for_flops(2.0 * 2000 * 1500 * 1000), 4);
  EXPECT_EQ(threads_for_elements(1500.0 * 1000), 3);
  int nested = 0;
#pragma omp parallel num_threads(2)
  {
#pragma omp single
    nested = threads_for_seconds(1.0);
  }
  EXPECT_EQ(nested, 1);
  set_min_seconds_per_thread(0);
  EXPECT_EQ(threads_for_seconds(0), 4);
  omp_set_num_threads(2);
  set_min_seconds_per_thread(saved);
}

TEST(Parallel, ScopedMaxThreadsCapsAndRestores) {
  omp_set_num_threads(3);
  {
    const ScopedMaxThreads cap(1);
    EXPECT_EQ(omp_get_max_threads(), 1);
  }
  EXPECT_EQ(omp_get_max_threads(), 3);
  {
    const ScopedMaxThreads cap(8);  // never raises
    EXPECT_EQ(omp_get_max_threads(), 3);
  }
  omp_set_num_threads(2);
}
