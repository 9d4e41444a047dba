// SPDX-License-Identifier: Apache-2.0
// The brokers of the interop matrix behind one face: mosquitto, RabbitMQ with its MQTT plugin,
// ejabberd's mod_mqtt. Each runs as a child process of the test on free loopback ports with its
// data in the test's directory, with a plain listener and, where the broker has one, a TLS
// listener that requires a client certificate (certificates from make_pki with kTlsPrefix).
// Use from one thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/temp_dir.h"

namespace meterd::test {

inline constexpr const char* kTlsPrefix = "interop-";

class InteropBroker {
 public:
  virtual ~InteropBroker() = default;
  // Starts the broker and waits until it accepts connections; throws std::runtime_error with
  // the broker's log when it does not.
  virtual void start() = 0;
  virtual std::string uri() const = 0;      // "tcp://127.0.0.1:<port>"
  virtual std::string tls_uri() const = 0;  // "ssl://localhost:<port>", empty without TLS
  // The user name and password every client must present (ejabberd refuses anonymous
  // clients without a user name); nullopt when the broker needs none.
  virtual std::optional<std::pair<std::string, std::string>> credentials() const {
    return std::nullopt;
  }
  virtual std::string log() const = 0;
};

// The matrix, in the order the tests run it.
std::vector<std::string> interop_broker_kinds();

// A broker of `kind` in `dir` (not started; TLS certificates are made here); nullptr when the
// broker is not installed, with the reason in `absent`.
std::unique_ptr<InteropBroker> make_interop_broker(const std::string& kind, const TempDir& dir,
                                                   std::string& absent);

}  // namespace meterd::test
