#pragma once
// The run folder's CheckpointSink: the file names and formats of docs/OUTPUT.md, and what the
// config's output switches keep.
#include "sih/core/checkpoint_sink.hpp"
#include "sih/core/config.hpp"
#include "sih/rundir/output.hpp"

namespace sih {

template <typename T>
class RunFolderSink final : public CheckpointSink<T> {
 public:
  RunFolderSink(const Config& config, RunWriter& writer) : c_(config), w_(writer) {}

  bool keeps_spectra() const override { return c_.probe_weights && !c_.lightweight; }
  bool keeps_overlaps() const override { return c_.probe_weights && c_.plot_overlaps; }
  bool keeps_weights() const override { return c_.save_weights; }
  void weight_entries(long step, const Mat<T>& W) override;
  void spectra(long step, const VecD& W_eigenvalues, const Vec<T>& a) override;
  void features_spectrum(long step, const VecD& eigenvalues) override;
  void overlaps(const OverlapPair<T>& pair) override;
  void weights(long step, const Mat<T>& W, const Vec<T>& a, const Vec<T>* b) override;
  void init_alignment(const VecD& curve) override;
  void metrics(const MetricsRow& row) override;
  void log(const std::string& line) override { w_.log(line); }

 private:
  const Config& c_;
  RunWriter& w_;
};

// Whether the step-0 checkpoint of this config writes nothing but its metrics row and the
// initial alignment curve, so that runs from the same start can share it.
bool start_checkpoint_shareable(const Config& config);

}  // namespace sih
