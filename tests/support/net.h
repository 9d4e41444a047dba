// SPDX-License-Identifier: Apache-2.0
// Loopback networking helpers for tests.
#pragma once

#include <chrono>
#include <cstdint>

namespace meterd::test {

// A TCP port on 127.0.0.1 that was free a moment ago: bind port 0, read the port back, close.
std::uint16_t free_tcp_port();

// True once something accepts TCP connections on 127.0.0.1:`port`, false after `timeout`.
bool wait_for_listener(std::uint16_t port, std::chrono::milliseconds timeout);

// True when a TCP connection to 127.0.0.1:`port` is accepted right now.
bool accepts_connections(std::uint16_t port);

}  // namespace meterd::test
