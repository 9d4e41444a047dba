// SPDX-License-Identifier: Apache-2.0
// `${hostname}` and `${machine_id}` in `gateway_id`, so that one common file serves a whole
// fleet (docs/fleet.md). Pure apart from the host lookups, which are injected; any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/settings.h"

namespace meterd {

// The value of one template variable, or why the host cannot give it.
struct HostValue {
  std::optional<std::string> value;
  std::string error;  // set when `value` is not
};

// Asked only for the variables a text uses, each at most once per expansion.
struct HostFacts {
  std::function<HostValue()> hostname;
  std::function<HostValue()> machine_id;
};

// The real host: gethostname(), and the first 12 hex digits of meterd's application-specific
// machine id (systemd's sd_id128_get_machine_app_specific() over /etc/machine-id with
// kMeterdAppId), never the raw machine id, which machine-id(5) says must not go on the network.
HostFacts system_host_facts();
// meterd's application id; `systemd-id128 machine-id --app-specific=` this prints the full id.
inline constexpr const char* kMeterdAppId = "7263d43f8c854dafaab25207a930b146";

// `text` with each `${name}` replaced. An unknown name, an unterminated `${` or a value the
// host cannot give is an error at `pos` (the value's position) and yields nullopt.
std::optional<std::string> expand_host_template(const std::string& text, const SourcePos& pos,
                                                const HostFacts& facts, ConfigErrors& errors);

}  // namespace meterd
