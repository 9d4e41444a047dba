// The `sim` driver: one bus of simulated meters answering in-process. Each read advances the
// meter model to the clock's now and returns the group's points; faults for tests come from
// the meter's `fail` setting or from control files (see docs in sim_plugin.cpp). Used by the
// bus thread only; all state lives in the instance.
#pragma once

#include <string>
#include <vector>

#include "core/driver.h"
#include "sim_meter.h"

namespace meterd::sim {

enum class Fault { kNone, kDead, kFlaky };

struct SimMeterConfig {
  std::string id;
  Millis timeout{500};
  Fault fault = Fault::kNone;
  SimMeterParams params;
};

struct SimBusConfig {
  std::string name;
  std::string control_dir;  // empty: no control files
  Millis latency{0};        // simulated transaction time, slept on the bus thread
};

class SimDriver final : public MeterDriver {
 public:
  SimDriver(SimBusConfig bus, std::vector<SimMeterConfig> meters, std::vector<PollGroupSpec> groups,
            const Clock& clock);

  Status open() override;
  Result<MeterReading> read(std::size_t meter, std::size_t group) override;
  Result<MeterReading> act(std::size_t meter, const Action& action) override;
  void close() override {}

 private:
  bool control_file(const std::string& file) const;
  // The simulated failure of this exchange, if any (after sleeping the meter's timeout).
  std::optional<Error> fault(std::size_t meter, bool is_read);
  void advance(std::size_t meter);
  MeterReading read_back(std::size_t meter, const std::vector<std::string>& points);

  SimBusConfig bus_;
  std::vector<SimMeterConfig> config_;
  std::vector<PollGroupSpec> groups_;
  const Clock& clock_;
  std::vector<SimMeter> meters_;
  std::vector<std::uint64_t> reads_;  // per meter, for flaky meters
};

}  // namespace meterd::sim
