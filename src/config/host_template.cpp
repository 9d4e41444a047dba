// SPDX-License-Identifier: Apache-2.0
#include "config/host_template.h"

#include <systemd/sd-id128.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

namespace meterd {
namespace {

// Short enough for topics and logs; 48 bits make a collision in a fleet of 10000 boxes a
// one-in-five-million chance.
constexpr std::size_t kMachineIdDigits = 12;

HostValue read_hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) {
    return {std::nullopt, std::string("gethostname failed: ") + std::strerror(errno)};
  }
  if (name[0] == '\0') return {std::nullopt, "the host has no name (gethostname is empty)"};
  return {std::string(name), {}};
}

HostValue read_machine_id() {
  sd_id128_t app{};
  sd_id128_t id{};
  int rc = sd_id128_from_string(kMeterdAppId, &app);
  if (rc >= 0) rc = sd_id128_get_machine_app_specific(app, &id);
  if (rc < 0) {
    return {std::nullopt,
            std::string("cannot read the machine id (/etc/machine-id): ") + std::strerror(-rc)};
  }
  char hex[SD_ID128_STRING_MAX] = {};
  sd_id128_to_string(id, hex);
  return {std::string(hex, kMachineIdDigits), {}};
}

}  // namespace

HostFacts system_host_facts() { return {read_hostname, read_machine_id}; }

std::optional<std::string> expand_host_template(const std::string& text, const SourcePos& pos,
                                                const HostFacts& facts, ConfigErrors& errors) {
  const std::map<std::string, const std::function<HostValue()>*> variables{
      {"hostname", &facts.hostname}, {"machine_id", &facts.machine_id}};
  std::map<std::string, HostValue> looked_up;
  std::string out;
  bool ok = true;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t start = text.find("${", at);
    if (start == std::string::npos) {
      out += text.substr(at);
      break;
    }
    out += text.substr(at, start - at);
    const std::size_t end = text.find('}', start + 2);
    if (end == std::string::npos) {
      errors.add(pos, "unterminated '${' in '" + text + "'");
      return std::nullopt;
    }
    const std::string name = text.substr(start + 2, end - start - 2);
    at = end + 1;
    auto variable = variables.find(name);
    if (variable == variables.end()) {
      std::string message = "unknown template variable '${";
      message.append(name).append("}' in '").append(text);
      message.append("' (known: ${hostname}, ${machine_id})");
      errors.add(pos, message);
      ok = false;
      continue;
    }
    auto [seen, first] = looked_up.try_emplace(name);
    if (first) {
      const auto& lookup = *variable->second;
      seen->second = lookup ? lookup() : HostValue{std::nullopt, "not available"};
    }
    if (!seen->second.value) {
      errors.add(pos, "'${" + name + "}': " + seen->second.error);
      ok = false;
      continue;
    }
    out += *seen->second.value;
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace meterd
