// SPDX-License-Identifier: Apache-2.0
#include "support/pty_pair.h"

#include <stdexcept>

#include "support/wait.h"

namespace meterd::test {

PtyPair::PtyPair(const std::filesystem::path& dir, std::chrono::milliseconds timeout)
    : a_((dir / "a").string()), b_((dir / "b").string()) {
  socat_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/bin/socat", "-d", "-d", "pty,raw,echo=0,link=" + a_,
                               "pty,raw,echo=0,link=" + b_},
      (dir / "socat.log").string());
  const bool ready =
      wait_for([&] { return std::filesystem::exists(a_) && std::filesystem::exists(b_); }, timeout);
  if (!ready) throw std::runtime_error("socat did not create the pty pair: " + socat_->log());
}

PtyPair::~PtyPair() { socat_->terminate(std::chrono::seconds(2)); }

}  // namespace meterd::test
