// SPDX-License-Identifier: Apache-2.0
// The `profibus` driver: a DP-V0 class-1 master for the meters (DP slaves) of one line. Each
// read or action runs the slave's state machine (master/slave_link.h) until one
// Data_Exchange has carried the slave's output image and brought back its inputs: a slave
// that is not yet (or no longer) in data exchange is brought up within the same call, at most
// one start-up attempt per call, so a dead slave costs one slot time plus retries and no
// other slave waits longer. The poll schedule is the DP cycle: each poll of a meter is one
// Data_Exchange with it, so the Set_Prm watchdog must outlast the shortest poll interval
// (checked at start-up). Relay actions change the output image, which is persisted and sent
// on every Data_Exchange. Used by the bus thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/driver.h"
#include "profibus/driver/output_store.h"
#include "profibus/driver/profile.h"
#include "profibus/master/slave_link.h"
#include "profibus/transport/fdl_master.h"

namespace meterd::profibus {

struct ProfibusBusConfig {
  std::string name;
  std::uint8_t master_address = 2;
  std::optional<std::chrono::milliseconds> watchdog;  // nullopt: off
  bool clear_on_stop = false;  // Global_Control CLEAR when the driver is destroyed
  FdlTiming timing;
  int max_diag_polls = 20;
  std::uint8_t min_tsdr_bits = 0;  // Set_Prm min TSDR; 0 keeps the slave's own
  int steps_per_call = 12;         // bounds one read when a slave takes long to become ready
  // A poll group read after a broadcast FREEZE, so every meter reports it from one instant;
  // nullopt: none. Index into the bus's groups.
  std::optional<std::size_t> freeze_group;
};

struct ProfibusMeterConfig {
  std::string id;
  std::uint8_t address = 0;
  std::uint8_t group = 0;
  std::shared_ptr<const Profile> profile;
};

// WD_Fact_1 x WD_Fact_2 x 10 ms >= watchdog, both 1..255.
std::pair<std::uint8_t, std::uint8_t> watchdog_factors(std::chrono::milliseconds watchdog);

class ProfibusDriver final : public MeterDriver {
 public:
  ProfibusDriver(ProfibusBusConfig bus, std::vector<ProfibusMeterConfig> meters,
                 std::vector<PollGroupSpec> groups, std::unique_ptr<Phy> phy,
                 const std::string& state_dir);
  ~ProfibusDriver() override;

  Status open() override;
  Result<MeterReading> read(std::size_t meter, std::size_t group) override;
  Result<MeterReading> act(std::size_t meter, const Action& action) override;
  void close() override;
  std::vector<DriverEvent> take_events() override;

  const FdlStats& fdl_stats() const { return fdl_.stats(); }
  const SlaveLink& link(std::size_t meter) const { return links_[meter]; }
  const std::vector<std::uint8_t>& outputs(std::size_t meter) const { return outputs_[meter]; }
  // Sends Global_Control (SYNC, FREEZE, CLEAR ...) to `group` (0: all).
  Status global_control(std::uint8_t command, std::uint8_t group);

 private:
  // Runs the slave's machine until a Data_Exchange delivered inputs.
  Status exchange(std::size_t meter);
  Result<MeterReading> decode(std::size_t meter, const std::vector<std::string>& points) const;
  // FREEZE before the first read of a freeze-group round, UNFREEZE when every meter was read
  // in it or another group is read.
  void before_group_read(std::size_t meter, std::size_t group);
  void after_group_read(std::size_t meter, std::size_t group);
  void collect_events(std::size_t meter);

  ProfibusBusConfig bus_;
  std::vector<ProfibusMeterConfig> meters_;
  std::vector<PollGroupSpec> groups_;
  FdlMaster fdl_;
  OutputStore store_;
  std::vector<SlaveLink> links_;
  std::vector<std::vector<std::uint8_t>> outputs_;
  std::vector<DriverEvent> events_;
  bool frozen_ = false;
  std::vector<bool> read_while_frozen_;
};

}  // namespace meterd::profibus
