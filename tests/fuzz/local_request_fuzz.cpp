// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the technician's control socket protocol, through the whole path: the
// input's lines are read as the daemon reads request lines (read_local_request), commands go
// through the real intake site (intake_site.h) as a technician's, and every reply line the
// daemon would write - a refusal or the command's result - is judged by meterctl's own
// judge_reply. Fails when a reply is not a JSON object, when meterctl would call a refusal a
// success, or on a crash, sanitizer finding or exception. Builds as a libFuzzer target (clang,
// -DMETERD_FUZZ=ON) and as a replay test with fuzz_replay_main.cpp.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/json_text.h"
#include "intake_site.h"
#include "local/local_request.h"
#include "reply_outcome.h"

using namespace meterd;

namespace {

void judge(const std::string& reply_line, bool must_fail) {
  const nlohmann::json reply = nlohmann::json::parse(reply_line, nullptr, false);
  if (!reply.is_object()) std::abort();
  const meterctl::ReplyOutcome outcome = meterctl::judge_reply(reply, false);
  if (must_fail && outcome.exit_code == meterctl::kExitDone) std::abort();
  if (outcome.exit_code != meterctl::kExitDone && outcome.message.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Intake& site = fuzz::intake();
  static std::string last_result;
  static bool observing = false;
  if (!observing) {
    site.commands->set_result_observer(
        [](const std::string&, const nlohmann::json& body) { last_result = json_text(body); });
    observing = true;
  }
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    const auto newline = input.find('\n');
    const std::string_view line = input.substr(0, newline);
    input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);
    const LocalRequest request = read_local_request(line);
    switch (request.kind) {
      case LocalRequest::Kind::kStatus:
      case LocalRequest::Kind::kMeters:
      case LocalRequest::Kind::kBacklog:
        break;
      case LocalRequest::Kind::kAccount:
        // The reports look the id up as it is; it is never empty.
        if (request.account_id.empty()) std::abort();
        break;
      case LocalRequest::Kind::kBackup:
        // Never run from here (it writes files); what reaches the runner is an absolute path.
        if (request.backup_path.empty() || request.backup_path.front() != '/') std::abort();
        break;
      case LocalRequest::Kind::kRefused:
        judge(request.refusal, true);
        break;
      case LocalRequest::Kind::kCommand:
        last_result.clear();
        site.run(request.command, "local:fuzz");
        if (!request.id) {
          judge(request.refusal, true);
        } else if (!last_result.empty()) {
          judge(last_result, false);
        }
        break;
    }
  }
  return 0;
}
