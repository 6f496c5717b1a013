#pragma once
// What a checkpoint produces, and who records it. The trainer computes and hands its results
// to a CheckpointSink; the run folder's sink (checkpoint_writer.hpp) owns the file names and
// formats and decides what the output switches keep (lightweight, plot_overlaps,
// save_weights), so that decision is made in one place. No file I/O or JSON here: the
// numerical core depends on this interface only.
#include <string>

#include "sih/base/types.hpp"
#include "sih/core/metrics_schema.hpp"

namespace sih {

// The singular-vector overlaps of one consecutive checkpoint pair W_k -> W_k+1, M = W_k+1 - W_k:
// M's singular values and, for W_k ([0]) and W_k+1 ([1]), (U_W^T U_M)^2 and (V_W^T V_M)^2.
template <typename T>
struct OverlapPair {
  long index = 0;  // k, from 0
  VecD M_sv;
  Mat<T> U[2], V[2];
};

template <typename T>
class CheckpointSink {
 public:
  virtual ~CheckpointSink() = default;
  // Which optional results are kept; the trainer skips the work of those nobody keeps.
  virtual bool keeps_spectra() const = 0;
  virtual bool keeps_overlaps() const = 0;
  virtual bool keeps_weights() const = 0;
  // W's entries at a checkpoint. Called from the checkpoint's second stream while the first
  // solves for the eigenvalues, so it must not share state with the other calls.
  virtual void weight_entries(long step, const Mat<T>& W) = 0;
  // The eigenvalues of W^T W (ascending, min(h, d) of them) and the read-out a.
  virtual void spectra(long step, const VecD& W_eigenvalues, const Vec<T>& a) = 0;
  // The eigenvalues of the probe features' Gram matrix Phi^T Phi (ascending, h of them).
  // Called from the checkpoint's second stream, as weight_entries.
  virtual void features_spectrum(long step, const VecD& eigenvalues) = 0;
  virtual void overlaps(const OverlapPair<T>& pair) = 0;
  // The weights; `b` the hidden biases when the student has them (else nullptr).
  virtual void weights(long step, const Mat<T>& W, const Vec<T>& a, const Vec<T>* b) = 0;
  // |<v_i, beta>| for the right singular vectors of the initial W, descending order.
  virtual void init_alignment(const VecD& curve) = 0;
  virtual void metrics(const MetricsRow& row) = 0;
  virtual void log(const std::string& line) = 0;
};

}  // namespace sih
