// SPDX-License-Identifier: Apache-2.0
// Certificates for TLS system tests, made with the openssl command line, and the `mqtt.tls`
// section of a site configuration that uses them. Use from one thread.
#pragma once

#include <string>

#include "support/temp_dir.h"

namespace meterd::test {

// A CA (<prefix>ca.pem), and a server and a client certificate it signed for `host`
// (<prefix>server.pem/.key, <prefix>client.pem/.key; DNS name `host`, plus IP SAN 127.0.0.1
// when host is localhost). Fails the current test when openssl does.
void make_pki(const TempDir& dir, const std::string& prefix, const std::string& host);

// `yaml` (a site_yaml) with an mqtt.tls section trusting <prefix>ca.pem and presenting
// <prefix>client.pem.
std::string with_tls(std::string yaml, const TempDir& dir, const std::string& prefix);

}  // namespace meterd::test
