#include "sih/train/trainer.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <mutex>
#include <optional>
#include <vector>

#include "sih/core/metrics.hpp"
#include "sih/core/model.hpp"
#include "sih/core/optim.hpp"
#include "sih/core/parallel.hpp"
#include "sih/core/rng.hpp"
#include "sih/spectra/esd_diagnostics.hpp"
#include "sih/spectra/spectral.hpp"

namespace sih {

namespace {

using Clock = std::chrono::steady_clock;

// Adds the wall time of a scope to sink[name]. Thread-safe: a checkpoint times the parts of
// its two concurrent streams into the same map.
class PhaseTimer {
 public:
  PhaseTimer(std::map<std::string, double>& sink, const char* name)
      : sink_(sink), name_(name), start_(Clock::now()) {}
  ~PhaseTimer() {
    const double dt = std::chrono::duration<double>(Clock::now() - start_).count();
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    sink_[name_] += dt;
  }

 private:
  std::map<std::string, double>& sink_;
  const char* name_;
  Clock::time_point start_;
};

std::optional<double> finite_or_empty(double v) {
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

// Runs two independent tasks concurrently on two OpenMP threads when the run has two or
// more, else one after the other. The checkpoint's serial parts (LAPACK's eigensolver on one
// side; Spectra, the Cholesky solve and the matrix-vector products on the other) each use one
// core, so pairing them halves their wall time. Eigen and our own loops see they are inside a
// parallel region and stay on one thread there. Each task computes the same thing either way,
// so the bits do not depend on the thread count. Exceptions are carried out of the region.
template <typename A, typename B>
void run_concurrently(A&& task_a, B&& task_b) {
  std::exception_ptr error_a, error_b;
  const int threads = std::min(2, omp_get_max_threads());
#pragma omp parallel sections num_threads(threads)
  {
#pragma omp section
    {
      try {
        task_a();
      } catch (...) {
        error_a = std::current_exception();
      }
    }
#pragma omp section
    {
      try {
        task_b();
      } catch (...) {
        error_b = std::current_exception();
      }
    }
  }
  if (error_a) std::rethrow_exception(error_a);
  if (error_b) std::rethrow_exception(error_b);
}

template <typename T>
class Checkpointer {
 public:
  Checkpointer(const Config& c, const Problem<T>& p, CheckpointSink<T>& s, TrainResult& r)
      : c_(c), p_(p), s_(s), r_(r) {
    // The variance of W's initial entries, for the MP edge of the start: N(0, 1) when sih
    // draws them (as the reference), the entries' mean square when they are given.
    init_variance_ = c_.init_from.empty() ? 1.0
                                          : static_cast<double>(p_.W0.squaredNorm()) /
                                                static_cast<double>(p_.W0.size());
  }

  const MetricsRow& last_row() const { return last_row_; }
  // The hidden biases being trained (config.bias), read at every checkpoint like W.
  void set_bias(const Vec<T>* b) { bias_ = b; }

  // One checkpoint. At step 0 (`init_curve` given) it also computes the initial |V^T beta|
  // curve, which needs beta's projection onto every eigenvector of W's Gram matrix
  // (gram_eigendecomposition); the ESD and v1 of that checkpoint are then read from the same
  // solve (no second eigensolve, no Lanczos).
  //
  // Schedule: W's Gram matrix and the probe features are parallel products; the rest runs
  // as two streams side by side (run_concurrently), each on one thread: A = the eigenvalues
  // (syevd), B = the features' Gram matrix, Phi^T y, the test features, KTA, the ridge solve,
  // the losses and W's entries (only stream B hands results to the sink); the top singular
  // vector goes to the stream that finishes first. Then the alpha fits and the other
  // results. At step 0 stream A is the eigendecomposition for the |V^T beta| curve (~2x the
  // values-only solve) and W's Gram matrix; the probe features still come first, on both
  // threads (with them in stream B, on one thread, that stream was the longer by ~15 ms at
  // the headline size).
  // `lr` is the rate of the update that produced `step`, from the loop's own schedule.
  // `next_forward`: the workspace of the next training step when that step's forward product
  // is this checkpoint's probe product (the probe set is the full training batch and W does
  // not change before it); the product is then computed once and left there for the step.
  void run(long step, double lr, const Mat<T>& W, const Vec<T>& a, std::optional<double> batch_loss,
           VecD* init_curve = nullptr, StepWorkspace<T>* next_forward = nullptr) {
    PhaseTimer total(r_.timings_s, "checkpoint_total");
    MetricsRow row;
    row.step = step;
    row.lr = lr;
    // Without a frozen read-out the reference's probe loader is the train loader.
    const Dataset<T>& probe = c_.fix_last_layer ? p_.probe : p_.train;
    VecD eigs;

    if (init_curve) {
      GramEigen<T> eigen;
      feature_products(W, probe, next_forward);
      run_concurrently(
          [&] {
            PhaseTimer t(r_.timings_s, "init_pc_beta_alignment");
            eigen = gram_eigendecomposition(W, small_gram(W), p_.beta);
            *init_curve = right_singular_alignment_curve(W, eigen);
            if (c_.probe_weights) eigs = esd_eigenvalues_from_eigen(eigen);
          },
          [&] {
            feature_metrics_and_losses(step, W, a, probe, batch_loss, row);
            write_weight_entries(step, W);
          });
      if (c_.probe_weights)
        row.w_beta_alignment = finite_or_empty(w_beta_alignment_from_eigen(W, eigen, p_.beta));
    } else {
      if (c_.probe_weights) {
        PhaseTimer t(r_.timings_s, "checkpoint_spectrum_gram");
        small_gram_into(w_gram_, W);
      }
      feature_products(W, probe, next_forward);
      // Which stream ends its own work first depends on n, h and d (at the headline size A,
      // 10-15 ms before B); the alignment is one thread's work either way, so the same bits.
      std::atomic<bool> alignment_taken{!c_.probe_weights};
      const auto alignment = [&] {
        if (alignment_taken.exchange(true)) return;
        PhaseTimer t(r_.timings_s, "checkpoint_alignment");
        row.w_beta_alignment = finite_or_empty(w_beta_alignment(W, w_gram_, p_.beta));
      };
      run_concurrently(
          [&] {
            if (c_.probe_weights) {
              PhaseTimer t(r_.timings_s, "checkpoint_spectrum");
              eigs = esd_eigenvalues_from_gram(w_gram_);
            }
            alignment();
          },
          [&] {
            feature_metrics_and_losses(step, W, a, probe, batch_loss, row);
            write_weight_entries(step, W);
            alignment();
          });
    }

    if (c_.probe_weights) probe_weights(step, W, a, eigs, row);
    if (s_.keeps_weights()) s_.weights(step, W, a, bias_);
    s_.metrics(row);
    last_row_ = row;
  }

 private:
  void probe_weights(long step, const Mat<T>& W, const Vec<T>& a, const VecD& eigs,
                     MetricsRow& row) {
    {
      PhaseTimer t(r_.timings_s, "checkpoint_alpha_fits");
      const SpectralSummary s = summarize_spectrum(eigs);
      row.spectral_norm = s.spectral_norm;
      row.frobenius_norm = s.frobenius_norm;
      // 0/0 for an all-zero W: undefined (an empty cell, as the reference's NaN), not 0.
      if (s.spectral_norm > 0) row.stable_rank = finite_or_empty(s.stable_rank);
      if (s.hill.valid) {
        row.alpha_hill = finite_or_empty(s.hill.alpha);
        row.D_hill = finite_or_empty(s.hill.D);
        row.alphahat = finite_or_empty(s.alphahat);
      }
      if (s.mle_ks.valid) {
        row.alpha_mle_ks = finite_or_empty(s.mle_ks.alpha);
        row.D_mle_ks = finite_or_empty(s.mle_ks.D);
      }
      if (s.peak.valid) {
        row.alpha_peak = finite_or_empty(s.peak.alpha);
        row.D_peak = finite_or_empty(s.peak.D);
      }
      if (!s.hill.valid || !s.mle_ks.valid)
        note(fmt::format("step {}: power-law alpha undefined (degenerate spectrum)", step));
    }
    {
      PhaseTimer t(r_.timings_s, "checkpoint_esd_diagnostics");
      EsdDiagnosticsOptions o;
      o.h = static_cast<double>(c_.h);
      o.d = static_cast<double>(c_.d);
      o.N = std::max(o.h, o.d);
      o.M = std::min(o.h, o.d);
      o.init_variance = init_variance_;
      o.reference_alphas = false;  // summarize_spectrum above has them
      o.pl_bootstrap = c_.pl_bootstrap;
      o.seed = derive_seed(c_.seed, "pl-bootstrap", static_cast<std::uint64_t>(step));
      fill_metrics(esd_diagnostics(eigs, o), EsdTarget::kCheckpoint, c_.enable_ww, row);
    }
    if (s_.keeps_spectra()) {
      PhaseTimer t(r_.timings_s, "checkpoint_spectra_output");
      s_.spectra(step, eigs, a);  // W's entries: handed over by stream B
    }
    if (s_.keeps_overlaps()) {
      PhaseTimer t(r_.timings_s, "checkpoint_overlaps");
      overlaps(W);
    }
  }

  // Overlaps of W_k and W_{k+1} with M = W_{k+1} - W_k. The SVD of W_{k+1} is kept for the
  // next pair, where it is the SVD of W_k.
  void overlaps(const Mat<T>& W) {
    ThinSvd<T> svd_w = thin_svd(W);
    if (prev_svd_) {
      const Mat<T> M = W - prev_W_;
      const ThinSvd<T> svd_m = thin_svd(M);
      OverlapPair<T> pair;
      pair.index = pair_;
      pair.M_sv = svd_m.S.template cast<double>();
      const ThinSvd<T>* sides[2] = {&*prev_svd_, &svd_w};
      for (int k = 0; k < 2; ++k) {
        // The same bits for every thread count (model.hpp).
        product_fixed_depth(pair.U[k], sides[k]->U.transpose(), svd_m.U);
        product_fixed_depth(pair.V[k], sides[k]->V.transpose(), svd_m.V);
        pair.U[k] = pair.U[k].array().square().matrix();
        pair.V[k] = pair.V[k].array().square().matrix();
      }
      s_.overlaps(pair);
      ++pair_;
    }
    prev_W_ = W;
    prev_svd_ = std::move(svd_w);
  }

  void write_weight_entries(long step, const Mat<T>& W) {
    if (!s_.keeps_spectra()) return;
    PhaseTimer t(r_.timings_s, "checkpoint_spectra_output");
    s_.weight_entries(step, W);
  }

  // The probe features Phi, as needed (the largest product, on all threads).
  void feature_products(const Mat<T>& W, const Dataset<T>& probe, StepWorkspace<T>* next_forward) {
    if (!c_.probe_features && !c_.fix_last_layer) return;
    PhaseTimer t(r_.timings_s, "checkpoint_features");
    if (!next_forward) {
      probe_features_into(phi_, W, probe.X, c_.probe_feature_scaling, c_.activation, bias_);
      return;
    }
    // The same product call as the step's (loss_and_gradient), so the same bits: computed
    // into the step's workspace and copied (~2 ms against ~13 for the product at the
    // headline size).
    next_forward->hidden.resize(probe.X.rows(), W.rows());
    product_fixed_depth(next_forward->hidden, probe.X, W.transpose());
    next_forward->hidden_holds_product = true;
    copy_parallel(phi_, next_forward->hidden);
    probe_activation_inplace(phi_, static_cast<long>(W.cols()), static_cast<long>(W.rows()),
                             c_.probe_feature_scaling, c_.activation, bias_);
  }

  // Stream B of a checkpoint: Phi^T Phi, Phi^T y and the test features, then KTA, the ridge
  // refit of the frozen read-out and the losses. The Gram matrix is built here, on one
  // thread, rather than on both before the streams: stream A's eigensolve takes about as
  // long as all of stream B then (~10 ms less per checkpoint at the headline size).
  void feature_metrics_and_losses(long step, const Mat<T>& W, const Vec<T>& a,
                                  const Dataset<T>& probe, std::optional<double> batch_loss,
                                  MetricsRow& row) {
    if (c_.probe_features || c_.fix_last_layer) {
      PhaseTimer t(r_.timings_s, "checkpoint_features");
      gram_lower(f_gram_, phi_);
      phi_t_y_.noalias() = phi_.transpose() * probe.y;
      if (c_.fix_last_layer)
        probe_features_into(phi_test_, W, p_.test.X, c_.probe_feature_scaling, c_.activation,
                            bias_);
    }
    if (c_.probe_features) {
      PhaseTimer t(r_.timings_s, "checkpoint_kta");
      row.kta = finite_or_empty(kta_from_gram(f_gram_, phi_t_y_, probe.y));
    }
    if (c_.probe_features && c_.features_spectrum) {
      PhaseTimer t(r_.timings_s, "checkpoint_features_spectrum");
      features_spectrum(step, probe.rows(), row);  // before the ridge factorises the Gram matrix
    }
    if (c_.fix_last_layer) {
      PhaseTimer t(r_.timings_s, "checkpoint_ridge");
      const double ridge =
          c_.reg_lambda / static_cast<double>(c_.h) * static_cast<double>(probe.rows());
      // The last use of the Gram matrix (after KTA): factorised in place.
      const RidgeSolution<T> sol = ridge_solve_in_place(f_gram_, phi_t_y_, ridge, phi_, probe.y);
      if (sol.fallback)
        note(fmt::format(
            "step {}: ridge system singular (reg_lambda {}, {} probe rows, h {}): used the "
            "minimum-norm least-squares solution",
            step, c_.reg_lambda, probe.rows(), c_.h));
      const Vec<T> pred = phi_ * sol.a_hat;
      row.train_loss = finite_or_empty(mse(pred, probe.y));
      const Vec<T> pred_test = phi_test_ * sol.a_hat;
      row.val_loss = finite_or_empty(mse(pred_test, p_.test.y));
    }
    if (!c_.fix_last_layer && step > 0) {
      PhaseTimer t(r_.timings_s, "checkpoint_losses");
      row.val_loss = finite_or_empty(model_mse(c_.activation, W, bias_, a, p_.test.X, p_.test.y));
      if (batch_loss) row.train_loss = finite_or_empty(*batch_loss);
    }
  }

  // The ESD of the conjugate kernel: the eigenvalues of Phi^T Phi (h x h, lower triangle).
  void features_spectrum(long step, long rows, MetricsRow& row) {
    const VecD eigs = esd_eigenvalues_from_gram(f_gram_);
    const SpectralSummary fs = summarize_spectrum(eigs);
    if (fs.hill.valid) row.features_alpha_hill = finite_or_empty(fs.hill.alpha);
    if (fs.mle_ks.valid) row.features_alpha_mle_ks = finite_or_empty(fs.mle_ks.alpha);
    // Phi is rows x h: beyond min(rows, h) the eigenvalues are zeros of the rank.
    const double N = static_cast<double>(std::max<long>(rows, c_.h));
    const long M = std::min<long>(rows, c_.h);
    const MpFit mp = fit_mp_ww(eigs.tail(M), N, static_cast<double>(M));
    if (mp.valid && mp.num_spikes >= 0)
      row.features_num_spikes = static_cast<double>(mp.num_spikes);
    s_.features_spectrum(step, eigs);
  }

  void note(const std::string& text) {
    r_.notes.push_back(text);
    s_.log("note: " + text);
  }

  const Config& c_;
  const Problem<T>& p_;
  CheckpointSink<T>& s_;
  TrainResult& r_;
  MetricsRow last_row_;
  double init_variance_ = 1.0;
  const Vec<T>* bias_ = nullptr;
  // Buffers kept across checkpoints (no page faults for fresh 10 MB allocations each time).
  Mat<T> w_gram_, phi_, f_gram_, phi_test_;
  Vec<T> phi_t_y_;
  Mat<T> prev_W_;
  std::optional<ThinSvd<T>> prev_svd_;
  long pair_ = 0;
};

// Finite entries whose squared norm is finite too: past that the Gram matrices of the probes
// overflow (W ~ 1e20 in float32) and LAPACK refuses them, so such weights count as diverged.
// One pass, columns in parallel: a NaN or Inf entry makes its column's sum of squares NaN or
// Inf, so a finite total means finite entries and no overflow. Column sums are added in order
// in T (the overflow threshold is T's, as for the Gram matrices).
template <typename T>
bool all_finite(const Mat<T>& m) {
  const Eigen::Index cols = m.cols();
  std::vector<T> sums(static_cast<std::size_t>(cols));
#pragma omp parallel for schedule(static) num_threads(threads_for_elements(double(m.size())))
  for (Eigen::Index j = 0; j < cols; ++j)
    sums[static_cast<std::size_t>(j)] = m.col(j).squaredNorm();
  T total = 0;
  for (T s : sums) total += s;
  return std::isfinite(total);
}
template <typename T>
bool all_finite(const Vec<T>& v) {
  return std::isfinite(v.squaredNorm());
}

}  // namespace

template <typename T>
TrainResult train(const Config& c, const Problem<T>& p, const RunSeeds& seeds,
                  CheckpointSink<T>& sink, const TrainOptions& options) {
  TrainResult result;
  Checkpointer<T> checkpointer(c, p, sink, result);
  Mat<T> W = p.W0;
  Vec<T> a = p.a0;
  const bool train_a = !c.fix_last_layer;
  // Hidden biases (config.bias): trained with W by the same optimizer, as torch's
  // Linear(bias=True) parameters would be.
  Vec<T> bias = p.b0;
  Vec<T>* bias_ptr = c.bias ? &bias : nullptr;
  checkpointer.set_bias(bias_ptr);

  // Stepped along with the loop (O(1) per step): the one source of every lr of the run.
  LrSchedule schedule(c.schedule_settings(), c.lr);
  StepWorkspace<T> ws;
  const bool full_batch = c.batch_size >= c.n;
  const long total = c.total_steps();
  // Without a frozen read-out the probe set is the training set: on a full batch, and when
  // weight normalization does not rescale W first, a checkpoint's probe product is the next
  // step's forward product (Checkpointer::run, `next_forward`).
  const bool share_forward = !c.fix_last_layer && full_batch && !c.enable_weight_normalization;
  auto next_forward = [&](long step) { return share_forward && step < total ? &ws : nullptr; };
  if (options.reuse_start) {
    MetricsRow row = options.reuse_start->row0;
    row.lr = schedule.at(0);
    sink.init_alignment(options.reuse_start->init_curve);
    sink.log("step 0: checkpoint shared with the other runs from the same start");
    sink.metrics(row);
  } else {
    StartCheckpoint start;
    checkpointer.run(0, schedule.at(0), W, a, std::nullopt, &start.init_curve, next_forward(0));
    sink.init_alignment(start.init_curve);
    if (options.publish_start) {
      start.row0 = checkpointer.last_row();
      options.publish_start(start);
    }
  }

  OptimizerSettings os;
  os.kind = c.optimizer;
  os.momentum = c.momentum;
  os.nesterov = c.nesterov;
  os.weight_decay = c.weight_decay;
  os.beta1 = c.adam_beta1;
  os.beta2 = c.adam_beta2;
  os.eps = os.kind == OptimizerKind::kRmsprop ? c.rmsprop_eps : c.adam_eps;
  os.alpha = c.rmsprop_alpha;
  ParamOptimizer<T> opt_W(os), opt_a(os), opt_b(os);

  Mat<T> grad_W(c.h, c.d);
  Vec<T> grad_a(c.h);
  Vec<T> grad_b(c.h);
  Mat<T> X_batch;
  Vec<T> y_batch;
  Rng shuffle_rng(seeds.shuffle);
  const long steps_per_epoch = c.steps_per_epoch();
  const T norm_target = std::sqrt(T(c.h) * T(c.d));

  for (long epoch = 1; epoch <= c.num_epochs; ++epoch) {
    // A full batch is the whole set in any order: skipping the shuffle only changes the
    // summation order (the reference fixtures show <= 6e-14 relative from that).
    std::vector<long> perm;
    if (!full_batch) perm = random_permutation(c.n, shuffle_rng);
    for (long b = 0; b < steps_per_epoch; ++b) {
      const long step = (epoch - 1) * steps_per_epoch + b + 1;
      double loss;
      {
        PhaseTimer t(result.timings_s, "train_steps");
        if (c.enable_weight_normalization) {
          const T norm = W.norm();
          if (norm > 0) W *= norm_target / norm;
        }
        if (full_batch) {
          loss = loss_and_gradient<T>(c.activation, W, bias_ptr, a, p.train.X, p.train.y, grad_W,
                                      &grad_b, train_a ? &grad_a : nullptr, ws);
        } else {
          const long begin = b * c.batch_size;
          const long count = std::min(c.batch_size, c.n - begin);
          const std::vector<long> idx(perm.begin() + begin, perm.begin() + begin + count);
          X_batch = p.train.X(idx, Eigen::placeholders::all);
          y_batch = p.train.y(idx);
          loss = loss_and_gradient<T>(c.activation, W, bias_ptr, a, X_batch, y_batch, grad_W,
                                      &grad_b, train_a ? &grad_a : nullptr, ws);
        }
        if (std::isfinite(loss)) {
          const double lr = schedule.at(step);
          opt_W.step(W, grad_W, lr);
          if (bias_ptr) opt_b.step(bias, grad_b, lr);
          if (train_a) opt_a.step(a, grad_a, lr);
        }
      }
      result.steps_done = step;
      if (!std::isfinite(loss) || !all_finite(W) || (train_a && !all_finite(a)) ||
          (bias_ptr && !all_finite(bias))) {
        result.status = RunStatus::kDiverged;
        result.diverged_step = step;
        const bool entries_finite =
            W.allFinite() && (!train_a || a.allFinite()) && (!bias_ptr || bias.allFinite());
        result.diverged_reason = !std::isfinite(loss) ? "loss is NaN/Inf"
                                 : entries_finite     ? "weights overflow (squared norm is Inf)"
                                                      : "weights became NaN/Inf";
        sink.log(fmt::format("warning: diverged at step {}: {}", step, result.diverged_reason));
        return result;
      }
      if (options.on_step) options.on_step(step, total, loss);
      if (c.is_checkpoint(step))
        checkpointer.run(step, schedule.at(step), W, a, loss, nullptr, next_forward(step));
      if (options.cancel)
        if (const int sig = options.cancel->load()) throw Interrupted(sig);
    }
  }
  return result;
}

template TrainResult train<float>(const Config&, const Problem<float>&, const RunSeeds&,
                                  CheckpointSink<float>&, const TrainOptions&);
template TrainResult train<double>(const Config&, const Problem<double>&, const RunSeeds&,
                                   CheckpointSink<double>&, const TrainOptions&);

}  // namespace sih
