// SPDX-License-Identifier: Apache-2.0
#include "config/tariff_json.h"

#include "config/yaml_to_settings.h"

namespace meterd {

std::optional<Tariff> read_tariff_json(const std::string& json, const std::string& what,
                                       ConfigErrors& errors) {
  std::optional<SettingsNode> node = yaml_to_settings(json, what, errors);
  std::optional<Tariff> tariff;
  if (node) tariff = read_tariff(*node, errors);
  if (!errors.empty()) return std::nullopt;
  return tariff;
}

CommandTariff command_tariff(std::string json) {
  ConfigErrors errors;
  std::optional<Tariff> tariff = read_tariff_json(json, "tariff", errors);
  if (!tariff) {
    const std::string why = errors.empty() ? "not a tariff" : errors.all().front().message;
    return CommandTariff{std::move(json), make_error(ErrorKind::kInvalidArgument, why)};
  }
  return CommandTariff{std::move(json), std::move(*tariff)};
}

}  // namespace meterd
