// SPDX-License-Identifier: Apache-2.0
#include "system/test_pki.h"

#include <gtest/gtest.h>

#include <fstream>
#include <vector>

#include "support/process.h"

namespace meterd::test {

namespace {

void openssl(const TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "/usr/bin/openssl");
  ChildProcess p(args, dir.file("openssl.log"));
  auto status = p.wait(std::chrono::seconds(30));
  ASSERT_TRUE(status && status->exited && status->code == 0) << p.log();
}

}  // namespace

void make_pki(const TempDir& dir, const std::string& prefix, const std::string& host) {
  const auto f = [&](const std::string& n) { return dir.file(prefix + n); };
  openssl(dir, {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                "/CN=" + prefix + "ca", "-keyout", f("ca.key"), "-out", f("ca.pem")});
  std::ofstream(f("san.cnf")) << "subjectAltName=DNS:" << host
                              << (host == "localhost" ? ",IP:127.0.0.1" : "") << "\n";
  for (const std::string who : {"server", "client"}) {
    openssl(dir, {"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + host, "-keyout",
                  f(who + ".key"), "-out", f(who + ".csr")});
    openssl(dir,
            {"x509", "-req", "-in", f(who + ".csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"),
             "-CAcreateserial", "-days", "2", "-extfile", f("san.cnf"), "-out", f(who + ".pem")});
  }
}

std::string with_tls(std::string yaml, const TempDir& dir, const std::string& prefix) {
  const std::string tls = "  tls:\n    enabled: true\n    ca_file: " + dir.file(prefix + "ca.pem") +
                          "\n    cert_file: " + dir.file(prefix + "client.pem") +
                          "\n    key_file: " + dir.file(prefix + "client.key") + "\n";
  yaml.insert(yaml.find("  keepalive:"), tls);
  return yaml;
}

}  // namespace meterd::test
