// SPDX-License-Identifier: Apache-2.0
// The journal's line for an event (cut-off, restored, relay_action_failed, meter_offline ...),
// so `journalctl -u meterd` tells what happened to a meter or account without the store.
// Pure.
#pragma once

#include <string>

#include "core/event.h"

namespace meterd {

// "event cut_off meter m-301: {\"account\":\"A301\",...}" (details cut at 200 bytes, printable).
std::string event_log_line(const Event& event);

// Events an operator must look at (supply cut, a relay that would not switch, a meter gone
// dark, a refused command) are logged as warnings; the rest as info. The store's own events
// (store_eviction, store_full) never pass here: the store logs those itself.
bool event_is_warning(const std::string& type);

}  // namespace meterd
