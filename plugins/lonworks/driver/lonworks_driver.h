// SPDX-License-Identifier: Apache-2.0
// The `lonworks` driver: LON meter nodes reached over LS/UDP and/or IP-852 through one
// MessageLayer. A read polls the group's NVs of the meter (NV poll: REQUEST without data,
// the RESPONSE carries the value) and, in the same window of transactions, of the next
// `read_ahead - 1` meters of the bus, whose readings wait (for at most half the group's
// interval) for the bus thread to ask for them: a 64-node channel is not polled one round trip
// at a time. relay_open / relay_close are an ACKD NV update of the profile's SNVT_switch
// input, followed by a read of relay_closed. Used by the bus thread only.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/driver.h"
#include "lonworks/driver/profile.h"
#include "lonworks/transport/message_layer.h"

namespace meterd::lonworks {

struct LonBusConfig {
  std::string name;
  std::size_t read_ahead = 8;  // meters per window of transactions, the asked one included
  int retries = 2;
};

struct LonMeterConfig {
  std::string id;
  Millis timeout{500};  // the whole transaction, retries included
  std::size_t link = 0;
  SubnetNode node;
  std::shared_ptr<const LonProfile> profile;
};

class LonWorksDriver final : public MeterDriver {
 public:
  LonWorksDriver(LonBusConfig bus, std::vector<LonMeterConfig> meters,
                 std::vector<PollGroupSpec> groups, std::unique_ptr<MessageLayer> layer,
                 const Clock& clock);

  Status open() override;
  Result<MeterReading> read(std::size_t meter, std::size_t group) override;
  Result<MeterReading> act(std::size_t meter, const Action& action) override;
  void close() override;

  const MessageLayer& layer() const { return *layer_; }

 private:
  // Polls `points` of each of `meters`; one result per meter.
  std::vector<Result<MeterReading>> poll(const std::vector<std::size_t>& meters,
                                         const std::vector<std::string>& points);
  std::vector<std::size_t> window_from(std::size_t meter, std::size_t group) const;
  LonRequest request_for(std::size_t meter, Service service, std::vector<std::uint8_t> apdu) const;
  Error meter_error(std::size_t meter, const Error& error) const;

  LonBusConfig bus_;
  std::vector<LonMeterConfig> meters_;
  std::vector<PollGroupSpec> groups_;
  std::unique_ptr<MessageLayer> layer_;
  const Clock& clock_;
  struct Prefetched {
    SteadyTime at;
    MeterReading reading;
  };
  std::map<std::pair<std::size_t, std::size_t>, Prefetched> prefetched_;  // (meter, group)
  // Meters whose last exchange timed out are not read ahead: a silent node must not stretch
  // the windows of the others.
  std::vector<char> silent_;
};

}  // namespace meterd::lonworks
