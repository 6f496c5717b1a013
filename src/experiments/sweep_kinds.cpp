// The sweep kinds, one row each: which keys may be lists (the axes), how runs are seeded
// and ordered, the aggregate's shape and the plot scripts. `sweep` is the general engine;
// `bulk-lr` and `bulk-losses` keep the reference's semantics (docs/MODEL.md, "Sweeps").
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

#include "sih/base/interrupt.hpp"
#include "sih/config/config_fields.hpp"
#include "sih/config/config_input.hpp"
#include "sih/config/dotted_key.hpp"
#include "sih/core/rng.hpp"
#include "sih/experiments/sweep.hpp"

namespace sih {
namespace {

// The values of a key that a sweep iterates over: a list, or a scalar as a one-item list;
// an absent key is one undefined item (the config default).
std::vector<YAML::Node> axis_values(const YAML::Node& root, const std::string& key) {
  const YAML::Node node = yaml_at(root, key);
  if (!node.IsDefined() || node.IsNull()) return {YAML::Node(YAML::NodeType::Undefined)};
  if (node.IsScalar()) return {node};
  if (!node.IsSequence())
    throw InputError(fmt::format("{}: {}: must be a list of values", key, yaml_text(node)));
  if (node.size() == 0) throw InputError(fmt::format("{}: []: must be a non-empty list", key));
  std::vector<YAML::Node> items;
  // Hashed, so that an axis of 10^5 values is checked in linear time. Numbers are equal when
  // their doubles are (1 and 1.0 are one value); NaN equals nothing, as with ==.
  std::unordered_set<double> numbers;
  std::unordered_set<std::string> others;
  for (const auto& item : node) {
    throw_if_interrupted();  // the duplicate check of a long list takes seconds
    if (!item.IsScalar())
      throw InputError(
          fmt::format("{}: {}: list items must be single values", key, yaml_text(node)));
    const nlohmann::json v = yaml_scalar_json(item);
    bool fresh = true;
    if (v.is_number()) {
      const double x = v.get<double>();
      if (!std::isnan(x)) fresh = numbers.insert(x == 0 ? 0.0 : x).second;
    } else {
      fresh = others.insert(v.dump()).second;
    }
    if (!fresh)
      throw InputError(fmt::format("{}: {}: duplicate value {} (each value is run once)", key,
                                   yaml_text(node), item.Scalar()));
    items.push_back(item);
  }
  return items;
}

SweepAxis make_axis(const YAML::Node& root, const std::string& key, std::string column = "") {
  SweepAxis axis;
  axis.key = key;
  axis.column = column.empty() ? key : std::move(column);
  axis.values = axis_values(root, key);
  const ConfigFieldInfo* field = find_config_field(key);
  axis.changes_start = field && field->start == StartEffect::kChangesStart;
  return axis;
}

void reject_other_lists(const YAML::Node& root, const std::vector<std::string>& allowed,
                        const std::string& command) {
  for (const auto& key : list_keys(root)) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string names;
    for (const auto& a : allowed) names += (names.empty() ? "" : ", ") + a;
    throw InputError(
        fmt::format("{}: {}: sih {} only sweeps over {}; this key must be a single value", key,
                    yaml_text(yaml_at(root, key)), command, names));
  }
}

// `sweep_together: [d, h, n]`: lists of equal length that move together, one axis named after
// the first key (the others follow it: h/d and n/d fixed along d). Read and removed from the
// tree, so the config validation never sees it; config.json keeps it as written.
std::vector<std::string> take_sweep_together(YAML::Node& root) {
  std::vector<std::string> keys;
  if (!root.IsMap() || !root["sweep_together"]) return keys;
  const YAML::Node node = root["sweep_together"];
  if (node.IsNull()) {  // `sweep_together: null` (e.g. a --quick override): none
    root.remove("sweep_together");
    return keys;
  }
  const std::string rule = "must be a list of two or more swept keys, e.g. [d, h, n]";
  if (!node.IsSequence() || node.size() < 2)
    throw InputError(fmt::format("sweep_together: {}: {}", yaml_text(node), rule));
  for (const auto& item : node) {
    if (!item.IsScalar())
      throw InputError(fmt::format("sweep_together: {}: {}", yaml_text(node), rule));
    const std::string key = item.Scalar();
    const YAML::Node values = yaml_at(root, key);
    if (!values.IsDefined() || !values.IsSequence())
      throw InputError(fmt::format(
          "sweep_together: {}: {}: must be a list in the config (the values that move together)",
          yaml_text(node), key));
    if (std::find(keys.begin(), keys.end(), key) != keys.end())
      throw InputError(fmt::format("sweep_together: {}: {} appears twice", yaml_text(node), key));
    keys.push_back(key);
  }
  root.remove("sweep_together");
  return keys;
}

// sih sweep: every list is an axis, in file order; keys that cannot be swept are refused.
std::vector<SweepAxis> general_axes(YAML::Node& root) {
  const std::vector<std::string> together = take_sweep_together(root);
  std::vector<SweepAxis> axes;
  for (const auto& key : list_keys(root)) {
    const ConfigFieldInfo* field = find_config_field(key);
    // Unknown keys are reported by the config validation, with a did-you-mean hint.
    if (field && !field->sweepable)
      throw InputError(fmt::format("{}: {}: this key cannot be swept; give a single value", key,
                                   yaml_text(yaml_at(root, key))));
    const auto at = std::find(together.begin(), together.end(), key);
    if (at != together.end() && at != together.begin()) continue;  // tied to the first
    axes.push_back(make_axis(root, key));
  }
  if (together.empty()) return axes;
  SweepAxis& lead = *std::find_if(axes.begin(), axes.end(),
                                  [&](const SweepAxis& a) { return a.key == together[0]; });
  for (std::size_t i = 1; i < together.size(); ++i) {
    SweepAxis tied = make_axis(root, together[i]);
    if (tied.values.size() != lead.values.size())
      throw InputError(fmt::format(
          "{}: {}: has {} values, {} has {}: lists swept together must have equal lengths",
          together[i], yaml_text(yaml_at(root, together[i])), tied.values.size(), lead.key,
          lead.values.size()));
    lead.changes_start = lead.changes_start || tied.changes_start;
    lead.tied.emplace_back(tied.key, std::move(tied.values));
  }
  return axes;
}

RunSeeds general_seeds(const SeedInput& in) {
  // The start's seeds depend only on the values of the axes that change it, and the repeat:
  // not on the order, sharding or parallelism of the sweep.
  return RunSeeds::from_seed(derive_seed(in.sweep_seed, "sweep-start:" + in.start_coords.dump(),
                                         static_cast<std::uint64_t>(in.repeat)));
}

std::vector<SweepAxis> bulk_lr_axes(YAML::Node& root) {
  reject_other_lists(root, {"optimizer", "lr"}, "bulk-lr");
  return {make_axis(root, "optimizer"), make_axis(root, "lr")};
}

RunSeeds bulk_lr_seeds(const SeedInput& in) {
  // One teacher, student and data set per repeat, shared by every (optimizer, lr).
  return RunSeeds::from_seed(derive_seed(in.sweep_seed, "bulk-lr-repeat", in.repeat));
}

std::vector<SweepAxis> bulk_losses_axes(YAML::Node& root) {
  const YAML::Node vp = root["varying_param"];
  if (!vp.IsDefined() || vp.IsNull())
    throw InputError(
        "varying_param: missing: sih bulk-losses needs varying_param (one of n, "
        "label_noise_std, reg_lambda, gamma)");
  static const std::vector<std::string> kAllowed = {"n", "label_noise_std", "reg_lambda", "gamma"};
  if (!vp.IsScalar() || std::find(kAllowed.begin(), kAllowed.end(), vp.Scalar()) == kAllowed.end())
    throw InputError(
        fmt::format("varying_param: {}: must be one of n, label_noise_std, reg_lambda, gamma",
                    vp.IsScalar() ? "'" + vp.Scalar() + "'" : yaml_text(vp)));
  const std::string param = vp.Scalar();
  const std::string key = param == "gamma" ? "lr_scheduler_kwargs.gamma" : param;
  reject_other_lists(root, {key}, "bulk-losses");
  const YAML::Node values = yaml_at(root, key);
  if (values.IsDefined() && values.IsScalar())
    throw InputError(fmt::format("varying_param: '{}': {} must be a list of values, got {}", param,
                                 key, values.Scalar()));
  if (!values.IsDefined() || values.IsNull())
    throw InputError(fmt::format("{}: missing: sih bulk-losses needs a list of values here", key));
  if (param == "gamma" &&
      (!root["lr_scheduler_cls"].IsDefined() || root["lr_scheduler_cls"].IsNull()))
    throw InputError(
        "varying_param: 'gamma': needs lr_scheduler_cls: StepLR (gamma is its decay factor)");
  // Full batch follows n: the table's default batch size is n itself.
  if (param == "n") root.remove("batch_size");
  return {make_axis(root, key, param)};
}

RunSeeds bulk_losses_seeds(const SeedInput& in) {
  if (!in.axes->at(0).changes_start)
    return RunSeeds::from_seed(derive_seed(in.sweep_seed, "bulk-losses-repeat", in.repeat));
  // Per value a fresh teacher and student; per repeat a fresh data set.
  const std::uint64_t value_seed = derive_seed(in.sweep_seed, "bulk-losses-value", in.index.at(0));
  RunSeeds s = RunSeeds::from_seed(value_seed);
  s.data = derive_seed(value_seed, "data-repeat", static_cast<std::uint64_t>(in.repeat));
  s.shuffle = derive_seed(value_seed, "shuffle-repeat", static_cast<std::uint64_t>(in.repeat));
  return s;
}

}  // namespace

const std::vector<SweepKind>& sweep_kinds() {
  static const std::vector<SweepKind> kinds = {
      {"sweep",
       "Sweep every key given as a list (Cartesian product x repeat)",
       general_axes,
       general_seeds,
       [](const std::vector<SweepAxis>&) { return false; },
       AggregateShape::kAllPerStep,
       {"sweep_final.gp", "sweep_heatmap.gp", "sweep_steps.gp", "sweep_scatter.gp"}},
      {"bulk-lr",
       "Sweep optimizer x lr, repeated (docs/MODEL.md section 6)",
       bulk_lr_axes,
       bulk_lr_seeds,
       [](const std::vector<SweepAxis>&) { return false; },
       AggregateShape::kFinalPerPoint,
       {"bulk_lr.gp"}},
      {"bulk-losses",
       "Sweep one varying_param (n, label_noise_std, reg_lambda, gamma; docs/MODEL.md section 6)",
       bulk_losses_axes,
       bulk_losses_seeds,
       [](const std::vector<SweepAxis>& axes) { return axes.at(0).changes_start; },
       AggregateShape::kLossesPerStep,
       {"bulk_losses.gp"}},
  };
  return kinds;
}

const SweepKind& sweep_kind(const std::string& name) {
  std::string names;
  for (const SweepKind& k : sweep_kinds()) {
    if (k.name == name) return k;
    names += (names.empty() ? "" : ", ") + k.name;
  }
  throw InputError(fmt::format("sweep kind '{}': unknown (known: {})", name, names));
}

}  // namespace sih
