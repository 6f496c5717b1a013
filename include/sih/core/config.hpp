#pragma once
// The run configuration as plain data. Every field is declared once, in the field table of
// src/config/config_fields.cpp (name, type, default, rule, doc, and what it acts on); YAML input
// (config_input.hpp), the resolved-config JSON and id (config_fields.hpp), `sih config
// --describe` and the sweep engine's rules are all derived from that table. This header has
// no YAML or JSON dependency, so the numerical core can use Config without them.
#include <cstdint>
#include <string>

#include "sih/base/types.hpp"
#include "sih/core/activation.hpp"
#include "sih/core/optim.hpp"
#include "sih/core/schedule.hpp"

namespace sih {

enum class ProbeFeatureScaling { kReference, kModel };

// Upper bound of `threads` and of every `--jobs`: far beyond any machine sih runs on, and low
// enough that a typo (100000) is refused instead of exhausting threads or stacks.
inline constexpr int kMaxThreads = 1024;

// The `--jobs` option of every command: 0 (chosen from the cores and the work) to kMaxThreads;
// InputError otherwise.
void check_jobs(long jobs);

struct Config {
  // Keys of the authors' configs (docs/MODEL.md §7).
  std::string varying_param;  // the bulk-losses preset only
  int L = 2;
  long n = 2000;
  long batch_size = 0;  // 0 in the table's default means "= n" (full batch)
  long n_test = 200;
  long batch_size_test = 200;  // accepted for compatibility; the val loss is a full mean
  long h = 1500;
  long d = 1000;
  double label_noise_std = 0.3;
  OptimizerKind optimizer = OptimizerKind::kAdam;  // optimizer_names() (optim.hpp)
  double momentum = 0;
  double weight_decay = 0;
  double lr = 1;
  // lr_scheduler_cls: schedule_names() (schedule.hpp); kNone when absent
  ScheduleKind lr_scheduler = ScheduleKind::kNone;
  long step_size = 1;  // lr_scheduler_kwargs.step_size
  double gamma = 0.1;  // lr_scheduler_kwargs.gamma
  double reg_lambda = 0.01;
  bool enable_weight_normalization = false;
  long num_epochs = 10;
  long probe_freq_steps = 10;
  bool lightweight = false;
  bool probe_weights = true;
  bool plot_overlaps = false;
  bool probe_features = true;
  bool fix_last_layer = true;
  bool enable_ww = false;
  long repeat = 1;  // sweeps only
  // sih's own keys.
  std::uint64_t seed = 0;
  Precision precision = Precision::kFloat32;
  int threads = 0;  // 0 = the CPUs the process may use (available_cpus); at most kMaxThreads
  ProbeFeatureScaling probe_feature_scaling = ProbeFeatureScaling::kReference;
  std::string init_from;  // folder of starting arrays ("" = generate)
  std::string out_dir = "out";
  bool save_weights = false;
  int pl_bootstrap = 0;            // bootstrap samples of the power law's goodness of fit
  bool features_spectrum = false;  // the ESD of the probe features' Gram matrix
  // Issue 13: the neighbours of the paper's model. Each default is today's behaviour, and a
  // field at its default is left out of config_id, so existing ids do not change.
  Activation activation = Activation::kTanh;
  TeacherLink teacher = TeacherLink::kSoftplus;
  bool bias = false;        // hidden-layer biases (torch Linear(d, h, bias=True))
  bool nesterov = false;    // sgd
  double adam_beta1 = 0.9;  // adam_betas.beta1 (adam, adamw)
  double adam_beta2 = 0.999;
  double adam_eps = 1e-8;
  double rmsprop_alpha = 0.99;
  double rmsprop_eps = 1e-8;
  long T_max = 0;                 // lr_scheduler_kwargs.T_max (CosineAnnealingLR); 0: total steps
  double eta_min = 0;             // lr_scheduler_kwargs.eta_min
  double start_factor = 1.0 / 3;  // lr_scheduler_kwargs.* (LinearLR; torch's defaults)
  double end_factor = 1.0;
  long total_iters = 5;

  long steps_per_epoch() const { return (n + batch_size - 1) / batch_size; }
  long total_steps() const { return num_epochs * steps_per_epoch(); }
  // Checkpoints: step 0, every multiple of probe_freq_steps, and the last step, so a run's
  // final metrics are always those of its trained weights (the reference probes only the
  // multiples; its configs end on one, so they see no difference).
  bool is_checkpoint(long step) const {
    return step % probe_freq_steps == 0 || step == total_steps();
  }
  long checkpoint_count() const {
    const long total = total_steps();
    return total / probe_freq_steps + 1 + (total % probe_freq_steps != 0 ? 1 : 0);
  }
  // Learning rate used by the update that produces step t (t >= 1); the schedule stepped
  // after every optimizer step. lr_at(0) is the initial lr. O(t) per call: loops (the
  // trainer) step one LrSchedule (schedule.hpp) built from schedule_settings().
  double lr_at(long step) const;
  ScheduleSettings schedule_settings() const;
};

inline const char* precision_name(Precision p) {
  return p == Precision::kFloat64 ? "float64" : "float32";
}

// Version of the random data generator (rng.cpp), part of every run id.
inline constexpr int kDataGeneratorVersion = 2;

}  // namespace sih
