// SPDX-License-Identifier: Apache-2.0
// Independent dissection: the IP-852 datagrams the gateway's message layer sends (an NV poll,
// an NV update of a SNVT_switch, a Query ID broadcast) are captured on a loopback socket,
// written to a pcap file as UDP 1628 traffic, and decoded by Wireshark's CN/IP and LON
// dissectors (tshark): no malformed-packet or warning marks, and the dissected addresses,
// selector, transaction numbers and value equal what was sent. Skipped without tshark.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lonworks/transport/ip852_link.h"
#include "lonworks/transport/message_layer.h"
#include "sim_channel.h"
#include "support/wait.h"

namespace meterd::lonworks {
namespace {

bool have_tshark() { return std::system("command -v tshark >/dev/null 2>&1") == 0; }

void put16(std::string& out, unsigned v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xFF);
}

// One pcap (LINKTYPE_RAW: IPv4 packets) of UDP datagrams 127.0.0.1:1628 -> 127.0.0.2:1628.
void write_pcap(const std::string& path, const std::vector<std::vector<std::uint8_t>>& datagrams) {
  std::ofstream out(path, std::ios::binary);
  auto le32 = [&](std::uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
  auto le16 = [&](std::uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
  le32(0xA1B2C3D4);
  le16(2);
  le16(4);
  le32(0);
  le32(0);
  le32(65535);
  le32(101);  // LINKTYPE_RAW
  std::uint32_t second = 1'700'000'000;
  for (const auto& d : datagrams) {
    std::string ip;
    const unsigned total = 20 + 8 + static_cast<unsigned>(d.size());
    ip += '\x45';
    ip += '\0';
    put16(ip, total);
    put16(ip, 0);
    put16(ip, 0x4000);
    ip += '\x40';
    ip += '\x11';
    put16(ip, 0);  // header checksum: tshark does not validate it by default
    ip += std::string("\x7F\x00\x00\x01\x7F\x00\x00\x02", 8);
    unsigned sum = 0;
    for (std::size_t i = 0; i < 20; i += 2) {
      sum += static_cast<unsigned char>(ip[i]) << 8 | static_cast<unsigned char>(ip[i + 1]);
    }
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    ip[10] = static_cast<char>((~sum >> 8) & 0xFF);
    ip[11] = static_cast<char>(~sum & 0xFF);
    put16(ip, 1628);
    put16(ip, 1628);
    put16(ip, 8 + static_cast<unsigned>(d.size()));
    put16(ip, 0);  // no UDP checksum
    ip.append(d.begin(), d.end());
    le32(second++);
    le32(0);
    le32(static_cast<std::uint32_t>(ip.size()));
    le32(static_cast<std::uint32_t>(ip.size()));
    out.write(ip.data(), static_cast<std::streamsize>(ip.size()));
  }
}

std::string run(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe)) output += buffer;
  pclose(pipe);
  return output;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(TsharkDissection, GatewayIp852PacketsDecodeCleanlyWithTheValuesSent) {
  if (!have_tshark()) GTEST_SKIP() << "tshark is not installed";
  SystemClock clock;
  UdpEndpoint capture;
  ASSERT_TRUE(capture.open(testing::loopback()));
  std::vector<std::unique_ptr<Link>> links;
  links.push_back(std::make_unique<Ip852Link>(
      testing::loopback(), std::vector<UdpAddress>{capture.local_address()}, 0x01020304, clock));
  MessageLayerConfig config;
  config.domain.length = 1;
  config.domain.id[0] = 0x2A;
  MessageLayer layer(config, std::move(links), clock);
  ASSERT_TRUE(layer.open());

  LonRequest poll;
  poll.node = {2, 5};
  poll.apdu = encode_nv({0x3FF9, false, {}}).value();
  poll.attempt_timeout = Millis(1);
  poll.retries = 0;
  LonRequest update = poll;
  update.node = {2, 6};
  update.service = Service::kAckd;
  update.apdu = encode_nv({0x3FF8, false, encode_switch(true)}).value();
  const std::vector<LonRequest> requests{poll, update};
  (void)layer.exchange(requests);  // nobody answers: each is sent once
  (void)layer.broadcast_request(0, build_query_id(3), Millis(1));

  std::vector<std::vector<std::uint8_t>> datagrams;
  ASSERT_TRUE(meterd::test::wait_for(
      [&] {
        while (auto d = capture.receive()) datagrams.push_back(*d);
        return datagrams.size() >= 3;
      },
      std::chrono::seconds(5)));
  ASSERT_EQ(datagrams.size(), 3u);
  const auto dir =
      std::filesystem::temp_directory_path() / ("meterd-lon-tshark-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string pcap = (dir / "ip852.pcap").string();
  write_pcap(pcap, datagrams);

  const std::string fields =
      run("tshark -n -r " + pcap +
          " -T fields -E separator=';' -e cnip.type -e cnip.protocol -e lon.srcnet -e lon.srcnode "
          "-e lon.dstnet -e lon.dstnode -e lon.domain -e lon.trans_no -e lon.nv.dir "
          "-e lon.nv.selector -e lon.code -e data.data 2>/dev/null");
  const auto rows = lines_of(fields);
  ASSERT_EQ(rows.size(), 3u) << fields;
  // Fields: CN/IP type; protocol; source subnet, node; destination subnet, node; domain;
  // transaction; NV direction, selector; management code; data after the APDU header.
  // NV poll: REQUEST 1/126 -> 2/5, domain 2a, transaction 1, input NV 0x3ff9, no data.
  EXPECT_EQ(rows[0], "0x01;0;0x01;0x7e;0x02;0x05;2a;0x01;0x0000;0x3ff9;;") << fields;
  // NV update: ACKD 1/126 -> 2/6, transaction 1 (another node), SNVT_switch on = c8 01.
  EXPECT_EQ(rows[1], "0x01;0;0x01;0x7e;0x02;0x06;2a;0x01;0x0000;0x3ff8;;c801") << fields;
  // Query ID to the whole domain: broadcast, code 0x61, selector byte 03 as data.
  EXPECT_EQ(rows[2], "0x01;0;0x01;0x7e;0x00;;2a;0x01;;;0x61;03") << fields;

  const std::string marks = run(
      "tshark -n -r " + pcap + " -Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null");
  EXPECT_TRUE(marks.empty()) << marks;
  const std::string protocols =
      run("tshark -n -r " + pcap + " -T fields -e frame.protocols 2>/dev/null");
  for (const auto& row : lines_of(protocols))
    EXPECT_NE(row.find("cnip:lon"), std::string::npos) << row;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace meterd::lonworks
