// SPDX-License-Identifier: Apache-2.0
// The master's per-slave state machine, walked in virtual time against the golden replies
// and against the simulator's slave (both pure: no line, no sleeping), through every fault:
// silence, lost parameters (Prm_Req), watchdog expiry, cfg mismatch, prm fault, extended
// diagnosis. Every request goes through encode and scan, as on a line.
#include "profibus/master/slave_link.h"

#include <gtest/gtest.h>

#include "plugins/profibus/golden_test.h"
#include "profibus/codec/requests.h"
#include "profibus/sim/sim_slave.h"

namespace meterd::profibus {
namespace {

using golden::hex;
using namespace std::chrono_literals;

SlaveSetup golden_setup() {
  SlaveSetup s;
  s.address = 8;
  s.prm.station_status = 0xB8;
  s.prm.wd_fact_1 = 100;
  s.prm.wd_fact_2 = 1;
  s.prm.ident = 0x4D44;
  s.prm.group = 1;
  s.cfg = {0x5F, 0x20};
  s.input_bytes = 32;
  s.output_bytes = 1;
  return s;
}

SimSlaveSpec golden_slave() { return SimSlaveSpec{8, 0x4D44, {0x5F, 0x20}, 0}; }

Telegram through_line(const Telegram& t) {
  auto bytes = encode(t);
  EXPECT_TRUE(bytes.ok());
  const ScanResult r = scan(bytes.value());
  EXPECT_EQ(r.status, ScanStatus::kTelegram);
  return r.telegram;
}

// Virtual bus: one request to the slave, its reply (or silence) to the link.
struct Bus {
  Bus(SlaveLink& l, SimSlave& s) : link(l), slave(s) {}
  SlaveLink& link;
  SimSlave& slave;
  SimSlave::Clock::time_point now{};
  std::vector<std::uint8_t> outputs{0x00};
  std::vector<std::uint8_t> fcs;  // FC of every SRD sent (FDL status excluded)
  std::vector<SlaveEvent> events;

  void step() {
    const Telegram request = through_line(link.next_request(outputs));
    if (fc::function(request.fc) != fc::kFdlStatus) fcs.push_back(request.fc);
    auto reply = slave.handle(request, now);
    if (reply) {
      link.on_reply(through_line(*reply));
    } else {
      link.on_silence("slot time passed");
    }
    for (auto& e : link.take_events()) events.push_back(std::move(e));
    now += 10ms;
  }
  // Steps until a Data_Exchange delivered inputs; false after `limit` steps.
  bool until_inputs(int limit = 20) {
    for (int i = 0; i < limit; ++i) {
      step();
      if (link.has_fresh_inputs()) return true;
    }
    return false;
  }
  int count(const std::string& type) const {
    int n = 0;
    for (const auto& e : events) n += e.type == type;
    return n;
  }
};

TEST(SlaveLink, GoldenRepliesDriveTheGoldenRequestsFromPowerOnToDataExchange) {
  SlaveLink link(2, golden_setup());
  const std::vector<std::uint8_t> out{0x01};
  auto request = [&] { return encode(link.next_request(out)).value(); };
  auto reply = [&](const std::vector<std::uint8_t>& bytes) { link.on_reply(scan(bytes).telegram); };
  EXPECT_EQ(request(), hex(golden::kFdlStatusReq));
  reply(hex(golden::kFdlStatusCon));
  EXPECT_EQ(request(), hex(golden::kDiag1Req));
  reply(hex(golden::kDiag1Con));
  EXPECT_EQ(request(), hex(golden::kSetPrmReq));
  reply(hex("E5"));
  EXPECT_EQ(request(), hex(golden::kChkCfgReq));
  reply(hex("E5"));
  EXPECT_EQ(request(), hex(golden::kDiag2Req));
  reply(hex(golden::kDiag2Con));
  EXPECT_TRUE(link.in_data_exchange());
  EXPECT_EQ(request(), hex(golden::kDataExchangeReq));
  reply(golden::data_exchange_con());
  ASSERT_TRUE(link.has_fresh_inputs());
  EXPECT_EQ(link.inputs(), golden::inputs32());
  const auto events = link.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "slave_ready");
  EXPECT_NE(events[0].details_json.find("\"ident\":19780"), std::string::npos);
}

TEST(SlaveLink, PowerOnToDataExchangeAgainstTheSimulatorTogglesFcbOnEverySrd) {
  SlaveLink link(2, golden_setup());
  SimSlave slave(golden_slave());
  Bus bus(link, slave);
  bus.outputs = {0x01};
  ASSERT_TRUE(bus.until_inputs());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bus.until_inputs(1));
  // 6D starts the sequence; then 5D, 7D alternate with FCV set.
  ASSERT_GE(bus.fcs.size(), 8u);
  EXPECT_EQ(bus.fcs[0], 0x6D);
  for (std::size_t i = 1; i < bus.fcs.size(); ++i) {
    EXPECT_EQ(bus.fcs[i], i % 2 ? 0x5D : 0x7D) << i;
  }
  EXPECT_EQ(slave.outputs(), (std::vector<std::uint8_t>{0x01}));
  EXPECT_EQ(slave.locked_master(), 2);
  EXPECT_EQ(bus.count("slave_ready"), 1);
}

TEST(SlaveLink, ASilentSlaveStaysInProbeAndALostOneIsReportedOnceAndComesBack) {
  SlaveLink link(2, golden_setup());
  SimSlave slave(golden_slave());
  Bus bus(link, slave);
  slave.faults().silent = true;
  for (int i = 0; i < 5; ++i) bus.step();
  EXPECT_EQ(link.state(), SlaveState::kProbe);
  EXPECT_TRUE(bus.events.empty());
  slave.faults().silent = false;
  ASSERT_TRUE(bus.until_inputs());
  slave.faults().silent = true;
  for (int i = 0; i < 5; ++i) bus.step();
  EXPECT_EQ(link.state(), SlaveState::kProbe);
  EXPECT_EQ(bus.count("slave_lost"), 1);
  slave.faults().silent = false;
  ASSERT_TRUE(bus.until_inputs());
  EXPECT_EQ(bus.count("slave_ready"), 2);
}

TEST(SlaveLink, ASlaveThatLostItsParametersIsReparameterizedAndResumes) {
  SlaveLink link(2, golden_setup());
  SimSlave slave(golden_slave());
  Bus bus(link, slave);
  ASSERT_TRUE(bus.until_inputs());
  slave.restart();  // power cycle: WAIT_PRM, Prm_Req in its diagnosis
  // Data_Exchange refused -> lost; probe, diag, prm, cfg, diag, data exchange: within one
  // start-up of six requests plus the refused one.
  ASSERT_TRUE(bus.until_inputs(7));
  EXPECT_EQ(bus.count("slave_lost"), 1);
  EXPECT_EQ(bus.count("slave_ready"), 2);
  EXPECT_EQ(slave.state(), SimSlave::State::kDataExchange);
}

TEST(SlaveLink, AWatchdogExpiryInVirtualTimeSendsTheSlaveBackToStartAndItResumes) {
  SlaveSetup setup = golden_setup();  // watchdog 100 x 1 x 10 ms = 1 s
  SlaveLink link(2, setup);
  SimSlave slave(golden_slave());
  Bus bus(link, slave);
  bus.outputs = {0x01};
  ASSERT_TRUE(bus.until_inputs());
  EXPECT_EQ(slave.outputs()[0], 0x01);
  bus.now += 900ms;  // inside the watchdog: still exchanging
  ASSERT_TRUE(bus.until_inputs(1));
  bus.now += 1500ms;  // past it: the slave dropped its outputs and parameters
  ASSERT_TRUE(bus.until_inputs(7));
  EXPECT_EQ(bus.count("slave_lost"), 1);
  EXPECT_EQ(bus.count("slave_ready"), 2);
  EXPECT_EQ(slave.outputs()[0], 0x01);  // the master's image is back at once
}

TEST(SlaveLink, ACfgMismatchYieldsOneCfgFaultEventNamingBothConfigurations) {
  SlaveLink link(2, golden_setup());
  SimSlave slave(SimSlaveSpec{8, 0x4D44, {0x5F, 0x20, 0x10}, 0});
  Bus bus(link, slave);
  EXPECT_FALSE(bus.until_inputs(60));  // ten start-up attempts
  EXPECT_EQ(bus.count("cfg_fault"), 1);
  ASSERT_FALSE(bus.events.empty());
  const auto& e = bus.events.front();
  EXPECT_EQ(e.type, "cfg_fault");
  EXPECT_NE(e.details_json.find("\"expected\":\"5F 20\""), std::string::npos) << e.details_json;
  EXPECT_NE(e.details_json.find("\"reported\":\"5F 20 10\""), std::string::npos) << e.details_json;
  EXPECT_EQ(bus.count("slave_ready"), 0);
  EXPECT_NE(link.last_problem().find("cfg fault"), std::string::npos);
}

TEST(SlaveLink, AWrongIdentIsAPrmFaultTheSlaveNeverLeavesAndItIsReportedOnce) {
  SlaveLink link(2, golden_setup());
  SimSlave slave(SimSlaveSpec{8, 0x1234, {0x5F, 0x20}, 0});
  Bus bus(link, slave);
  EXPECT_FALSE(bus.until_inputs(40));
  EXPECT_EQ(bus.count("slave_ready"), 0);
  EXPECT_EQ(bus.count("diag"), 1);  // the prm fault diagnosis, once
  EXPECT_NE(link.last_problem().find("prm fault"), std::string::npos) << link.last_problem();
}

TEST(SlaveLink, ExtendedDiagnosisPendingIsReadDecodedAndReportedOncePerChange) {
  SlaveLink link(2, golden_setup());
  SimSlave slave(golden_slave());
  Bus bus(link, slave);
  ASSERT_TRUE(bus.until_inputs());
  slave.faults().extended_diag = {0xAA, 0x01};
  for (int i = 0; i < 6; ++i) bus.step();  // DH replies, each followed by a diagnosis read
  EXPECT_EQ(bus.count("diag"), 1);
  EXPECT_NE(bus.events.back().details_json.find("\"device\":[\"AA01\"]"), std::string::npos)
      << bus.events.back().details_json;
  slave.faults().extended_diag = {0xAA, 0x02};
  for (int i = 0; i < 4; ++i) bus.step();
  EXPECT_EQ(bus.count("diag"), 2);
  EXPECT_EQ(bus.count("slave_lost"), 0);  // a diagnosis alone keeps data exchange going
  EXPECT_TRUE(link.in_data_exchange() || link.state() == SlaveState::kCycleDiag);
}

TEST(SimSlave, ARepeatedFcbGetsTheSameReplyAndIsNotAppliedTwice) {
  SlaveLink link(2, golden_setup());
  SimSlave slave(golden_slave());
  Bus bus(link, slave);
  ASSERT_TRUE(bus.until_inputs());
  const std::vector<std::uint8_t> out{0x01};
  const Telegram request = link.next_request(out);
  auto first = slave.handle(request, bus.now);
  const auto exchanges = slave.exchanges();
  auto repeat = slave.handle(request, bus.now);  // the master lost the reply and repeats
  ASSERT_TRUE(first && repeat);
  EXPECT_EQ(*first, *repeat);
  EXPECT_EQ(slave.exchanges(), exchanges);
}

TEST(SlaveLink, AnInputImageOfTheWrongLengthRestartsTheSlave) {
  SlaveLink link(2, golden_setup());
  for (const auto& bytes : {hex(golden::kFdlStatusCon), hex(golden::kDiag1Con), hex("E5"),
                            hex("E5"), hex(golden::kDiag2Con)}) {
    link.on_reply(scan(bytes).telegram);
  }
  ASSERT_TRUE(link.in_data_exchange());
  link.on_reply(scan(hex("68 04 04 68 02 08 08 01 13 16")).telegram);  // one byte, not 32
  EXPECT_EQ(link.state(), SlaveState::kProbe);
  const auto events = link.take_events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type, "slave_lost");
}

}  // namespace
}  // namespace meterd::profibus
