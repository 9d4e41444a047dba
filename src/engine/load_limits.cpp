// SPDX-License-Identifier: Apache-2.0
#include "engine/load_limits.h"

#include <cmath>
#include <string>

#include "engine/json_fields.h"

namespace meterd {
namespace {

constexpr std::int64_t kMaxPowerW = 1'000'000;

// "0.95" or 0.95 -> 950; a power factor is a measurement, not money, but it is kept in
// thousandths so that the stored limits compare exactly.
Result<std::int64_t> pf_milli(const nlohmann::json& value, const std::string& what) {
  double pf = -1;
  if (value.is_number()) pf = value.get<double>();
  if (value.is_string()) {
    try {
      std::size_t used = 0;
      pf = std::stod(value.get<std::string>(), &used);
      if (used != value.get<std::string>().size()) pf = -1;
    } catch (const std::exception&) {
      pf = -1;
    }
  }
  if (!(pf >= 0.5 && pf <= 1.0)) {
    return make_error(ErrorKind::kInvalidArgument, what + ": a power factor 0.5..1");
  }
  return std::lround(pf * 1000);
}

Result<ApplianceSignature> read_signature(const nlohmann::json& json, const std::string& prefix) {
  if (Status s = only_keys(json, {"step_w", "tolerance_w"}, prefix); !s) return s.error();
  Result<std::optional<std::int64_t>> step =
      optional_int_field(json, "step_w", 1, kMaxPowerW, prefix);
  if (!step) return step.error();
  if (!step.value()) return make_error(ErrorKind::kInvalidArgument, prefix + "step_w: required");
  const std::int64_t step_w = *step.value();
  // Appliances differ by a few percent from one switching to the next.
  Result<std::int64_t> tolerance = int_field(json, "tolerance_w", 0, kMaxPowerW,
                                             std::max<std::int64_t>(50, step_w / 10), prefix);
  if (!tolerance) return tolerance.error();
  return ApplianceSignature{step_w, tolerance.value()};
}

Result<MalignantLoadRule> read_malignant(const nlohmann::json& json, WallTime now, bool stored) {
  const std::string prefix = "/malignant/";
  if (Status s = only_keys(json, {"min_step_w", "min_pf", "whitelist", "learn_s", "learn_until_ms"},
                           prefix);
      !s) {
    return s.error();
  }
  MalignantLoadRule rule;
  Result<std::int64_t> step =
      int_field(json, "min_step_w", 50, kMaxPowerW, rule.min_step_w, prefix);
  if (!step) return step.error();
  rule.min_step_w = step.value();
  if (json.contains("min_pf")) {
    Result<std::int64_t> pf = pf_milli(json["min_pf"], prefix + "min_pf");
    if (!pf) return pf.error();
    rule.min_pf_milli = pf.value();
  }
  if (json.contains("whitelist")) {
    const nlohmann::json& list = json["whitelist"];
    if (!list.is_array() || list.size() > 64) {
      return make_error(ErrorKind::kInvalidArgument,
                        prefix + "whitelist: a list of at most 64 signatures");
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      Result<ApplianceSignature> signature =
          read_signature(list[i], prefix + "whitelist/" + std::to_string(i) + "/");
      if (!signature) return signature.error();
      rule.whitelist.push_back(signature.value());
    }
  }
  const std::string learn_key = stored ? "learn_until_ms" : "learn_s";
  if (json.contains(stored ? "learn_s" : "learn_until_ms")) {
    return make_error(ErrorKind::kInvalidArgument,
                      prefix + (stored ? "learn_s" : "learn_until_ms") + ": unknown member");
  }
  Result<std::optional<std::int64_t>> learn =
      optional_int_field(json, learn_key, 0, stored ? INT64_MAX : 30LL * 24 * 3600, prefix);
  if (!learn) return learn.error();
  if (learn.value() && *learn.value() > 0) {
    rule.learn_until = stored ? WallTime{} + std::chrono::milliseconds(*learn.value())
                              : now + std::chrono::seconds(*learn.value());
  }
  return rule;
}

Result<LoadLimits> read_limits(const nlohmann::json& args, WallTime now, bool stored) {
  if (Status s = only_keys(
          args, {"max_power_w", "grace_s", "restore_after_s", "max_restores_per_day", "malignant"},
          "/");
      !s) {
    return s.error();
  }
  LoadLimits limits;
  Result<std::optional<std::int64_t>> max =
      optional_int_field(args, "max_power_w", 1, kMaxPowerW, "/");
  if (!max) return max.error();
  limits.max_power_w = max.value();
  Result<std::int64_t> grace = int_field(args, "grace_s", 0, 3600, limits.grace.count(), "/");
  if (!grace) return grace.error();
  limits.grace = std::chrono::seconds(grace.value());
  Result<std::int64_t> restore =
      int_field(args, "restore_after_s", 0, 86'400, limits.restore_after.count(), "/");
  if (!restore) return restore.error();
  limits.restore_after = std::chrono::seconds(restore.value());
  Result<std::int64_t> restores =
      int_field(args, "max_restores_per_day", 0, 100, limits.max_restores_per_day, "/");
  if (!restores) return restores.error();
  limits.max_restores_per_day = static_cast<int>(restores.value());
  if (args.contains("malignant")) {
    Result<MalignantLoadRule> rule = read_malignant(args["malignant"], now, stored);
    if (!rule) return rule.error();
    limits.malignant = std::move(rule.value());
  }
  if (!limits.max_power_w && !limits.malignant) {
    return make_error(ErrorKind::kInvalidArgument,
                      ": max_power_w or malignant, at least one limit (or {\"clear\": true})");
  }
  return limits;
}

}  // namespace

Result<LoadLimits> parse_load_limits(const nlohmann::json& args, WallTime now) {
  return read_limits(args, now, /*stored=*/false);
}

Result<LoadLimitsOrder> parse_load_limits_order(const nlohmann::json& args) {
  Result<LoadLimits> limits = read_limits(args, WallTime{}, /*stored=*/false);
  if (!limits) return limits.error();
  LoadLimitsOrder order{std::move(limits.value()), std::chrono::seconds{0}};
  if (order.limits.malignant && order.limits.malignant->learn_until) {
    order.learn_for = std::chrono::duration_cast<std::chrono::seconds>(
        *order.limits.malignant->learn_until - WallTime{});
    order.limits.malignant->learn_until.reset();
  }
  return order;
}

LoadLimits LoadLimitsOrder::applied_at(WallTime now) const {
  LoadLimits applied = limits;
  if (applied.malignant && learn_for.count() > 0) applied.malignant->learn_until = now + learn_for;
  return applied;
}

Result<LoadLimits> load_limits_from_stored(const nlohmann::json& stored) {
  return read_limits(stored, WallTime{}, /*stored=*/true);
}

nlohmann::json load_limits_json(const LoadLimits& limits) {
  nlohmann::json out{{"grace_s", limits.grace.count()},
                     {"restore_after_s", limits.restore_after.count()},
                     {"max_restores_per_day", limits.max_restores_per_day}};
  if (limits.max_power_w) out["max_power_w"] = *limits.max_power_w;
  if (limits.malignant) {
    const MalignantLoadRule& rule = *limits.malignant;
    nlohmann::json whitelist = nlohmann::json::array();
    for (const ApplianceSignature& s : rule.whitelist) {
      whitelist.push_back({{"step_w", s.step_w}, {"tolerance_w", s.tolerance_w}});
    }
    nlohmann::json malignant{{"min_step_w", rule.min_step_w},
                             {"min_pf", std::to_string(rule.min_pf_milli / 1000) + "." +
                                            std::string(rule.min_pf_milli % 1000 < 100 ? "0" : "") +
                                            std::string(rule.min_pf_milli % 1000 < 10 ? "0" : "") +
                                            std::to_string(rule.min_pf_milli % 1000)},
                             {"whitelist", whitelist}};
    if (rule.learn_until) malignant["learn_until_ms"] = to_unix_ms(*rule.learn_until);
    out["malignant"] = malignant;
  }
  return out;
}

}  // namespace meterd
