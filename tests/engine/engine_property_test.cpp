// SPDX-License-Identifier: Apache-2.0
// The engine against an independent model, on random operation sequences: one gateway-billed
// account with two meters, a TOU + monthly tiers + daily allowance tariff at +08:00, and at
// random clock jumps (some exactly onto a TOU switch or local midnight), readings, recharges
// (some repeated), refunds (some beyond the balance), tariff changes, ticks and restarts. The
// model prices every reading's increment Wh by Wh (brute_force_pricing.h), with the account's
// counters carried across both meters in reading order, and applies orders by its own rules.
// After each sequence: the ledger sums to the stored and the live balance, that balance is
// the model's, every order has one ledger row, every Wh is billed once. A variant crashes the
// engine (no stop()) instead of restarting it; then the balance is not the model's (the
// unwritten increments are billed again, spread over a longer span) and only the ledger,
// orders and Wh are checked. METERD_ENGINE_SEED moves the seeds.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "config/tariff_json.h"
#include "engine/brute_force_pricing.h"
#include "engine/engine.h"
#include "loop_pump.h"
#include "memory_engine_store.h"

namespace meterd::test {
namespace {

using namespace std::chrono_literals;
using brute_force::kMsPerDay;
using brute_force::kMsPerMinute;

constexpr std::int64_t kOffsetMinutes = 480;  // +08:00
constexpr std::int64_t kUnits = Money::kUnitsPerCurrency;
const std::vector<std::string> kMeters = {"m1", "m2"};
const char* const kPeriodNames[] = {"sharp", "peak", "flat", "valley"};

using Rng = std::mt19937_64;

std::int64_t uniform(Rng& rng, std::int64_t lo, std::int64_t hi) {
  return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
}
bool chance(Rng& rng, int percent) { return uniform(rng, 1, 100) <= percent; }

WallTime at_ms(std::int64_t ms) { return WallTime{Millis(ms)}; }

// 12345 with 4 decimals -> "1.2345": the test writes its own decimals, not the engine's.
std::string decimal(std::int64_t value, int decimals) {
  std::int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  std::string fraction = std::to_string(value % scale);
  fraction.insert(0, static_cast<std::size_t>(decimals) - fraction.size(), '0');
  return std::to_string(value / scale) + "." + fraction;
}

// ---- random tariffs, built twice: as the struct the model prices with and as the JSON the
// engine is given (so a restart, which reads the stored JSON, must price the same) ---------

struct TariffPair {
  Tariff tariff;
  std::string json;
};

std::string day_json(const DaySchedule& day) {
  std::string out = "[";
  for (const TouSwitch& s : day) {
    char clock[16];
    std::snprintf(clock, sizeof clock, "%02d:%02d", s.minute_of_day / 60, s.minute_of_day % 60);
    if (out.size() > 1) out += ",";
    out += std::string(R"({"from":")") + clock + R"(","period":")" +
           kPeriodNames[static_cast<int>(s.period)] + "\"}";
  }
  return out + "]";
}

DaySchedule random_day(Rng& rng) {
  std::set<int> minutes{0};
  const int switches = static_cast<int>(uniform(rng, 1, 6));
  const bool on_hours = chance(rng, 60);
  while (static_cast<int>(minutes.size()) < switches) {
    minutes.insert(on_hours ? 60 * static_cast<int>(uniform(rng, 0, 23))
                            : static_cast<int>(uniform(rng, 0, 1439)));
  }
  DaySchedule day;
  for (int m : minutes) day.push_back({m, static_cast<TouPeriod>(uniform(rng, 0, 3))});
  return day;
}

// A new TOU layout, or (keep_layout) the previous one with new prices, tiers and allowance.
TariffPair random_tariff(Rng& rng, int index, const Tariff* keep_layout, std::int64_t now_ms) {
  Tariff t;
  t.id = "t" + std::to_string(index);
  TimeOfUse tou;
  if (keep_layout) {
    tou = *keep_layout->tou;
  } else {
    tou.default_day = random_day(rng);
    if (chance(rng, 30)) {
      const int from = static_cast<int>(uniform(rng, 1, 12)) * 100 + 1;
      const int to = static_cast<int>(uniform(rng, 1, 12)) * 100 + 28;
      tou.seasons.push_back({from, to, random_day(rng)});
    }
    if (chance(rng, 30)) {
      if (chance(rng, 50)) tou.holiday_day = random_day(rng);
      const brute_force::Civil c =
          brute_force::civil_at(now_ms + uniform(rng, 0, 5) * kMsPerDay, kOffsetMinutes);
      tou.holidays.insert(static_cast<std::int32_t>(c.year) * 10000 + c.month * 100 + c.day);
    }
  }
  for (Money& price : tou.price_per_kwh) price = Money{uniform(rng, 0, 2 * kUnits)};
  t.tou = tou;
  Tiers tiers;
  tiers.period = CalendarPeriod::kMonth;
  std::int64_t up_to = 0;
  for (int b = static_cast<int>(uniform(rng, 0, 2)); b > 0; --b) {
    up_to += uniform(rng, 1, 30'000);
    tiers.blocks.push_back({Energy{up_to}, Money{uniform(rng, 0, kUnits / 2)}});
  }
  tiers.blocks.push_back({std::nullopt, Money{uniform(rng, 0, kUnits / 2)}});
  t.tiers = tiers;
  t.allowance = Allowance{CalendarPeriod::kDay, Energy{uniform(rng, 0, 3000)}};

  std::string json = R"({"id":")" + t.id + R"(","tou":{"prices":{)";
  for (int p = 0; p < kTouPeriods; ++p) {
    json += std::string(p ? "," : "") + "\"" + kPeriodNames[p] + "\":\"" +
            decimal(tou.price_per_kwh[p].units, 4) + "\"";
  }
  json += R"(},"day":)" + day_json(tou.default_day);
  if (!tou.seasons.empty()) {
    const Season& s = tou.seasons.front();
    char edges[64];
    std::snprintf(edges, sizeof edges, R"([{"from":"%02d-%02d","to":"%02d-%02d","day":)",
                  s.from_month_day / 100, s.from_month_day % 100, s.to_month_day / 100,
                  s.to_month_day % 100);
    json += R"(,"seasons":)" + std::string(edges) + day_json(s.day) + "}]";
  }
  if (!tou.holiday_day.empty()) json += R"(,"holiday_day":)" + day_json(tou.holiday_day);
  if (!tou.holidays.empty()) {
    const std::int32_t d = *tou.holidays.begin();
    char date[16];
    std::snprintf(date, sizeof date, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
    json += R"(,"holidays":[")" + std::string(date) + "\"]";
  }
  json += R"(},"tiers":{"period":"month","blocks":[)";
  for (std::size_t b = 0; b < tiers.blocks.size(); ++b) {
    const TierBlock& block = tiers.blocks[b];
    json += std::string(b ? "," : "") + "{";
    if (block.up_to) json += R"("up_to_kwh":")" + decimal(block.up_to->wh, 3) + "\",";
    json += R"("surcharge":")" + decimal(block.surcharge_per_kwh.units, 4) + "\"}";
  }
  json += R"(]},"allowance":{"period":"day","kwh":")" + decimal(t.allowance->free.wh, 3) + "\"}}";
  return {std::move(t), std::move(json)};
}

// ---- the buses: every relay action succeeds at once; the relay state shows in readings ----

class InstantRelays final : public ActionPort {
 public:
  explicit InstantRelays(boost::asio::io_context& io) : io_(io) {}

  void submit(const std::string& meter_id, Action action,
              std::function<void(Result<MeterReading>)> done) override {
    const bool closed = action.name == "relay_close";
    closed_[meter_id] = closed;
    MeterReading reading{{{"relay_closed", PointScalar{closed}}}, {}};
    boost::asio::post(io_, [done = std::move(done), reading] { done(reading); });
  }
  bool closed(const std::string& meter_id) const {
    auto found = closed_.find(meter_id);
    return found == closed_.end() || found->second;
  }

 private:
  boost::asio::io_context& io_;
  std::map<std::string, bool> closed_;
};

// ---- the model ----------------------------------------------------------------------------

struct MeterModel {
  bool seen = false;
  std::int64_t first_wh = 0;
  std::int64_t energy_wh = 0;
  std::int64_t time_ms = 0;
};

// What prices a Wh besides the counters: the tariff change in force (by its start), the local
// date and the TOU period.
using PriceKey = std::tuple<std::int64_t, std::int32_t, int>;

struct Increment {
  std::int64_t wh = 0;
  std::optional<PriceKey> key;  // nullopt: its span crosses a price boundary
};

struct Model {
  brute_force::ReferenceHistory tariffs;
  BillingCounters counters;
  Money balance;
  std::map<std::string, MeterModel> meters;
  std::map<std::string, Money> recharges;  // accepted, by order id
  std::map<std::string, Money> refunds;
  std::map<std::string, std::vector<Increment>> increments;  // by meter, those with Wh, in order

  void set_tariff(WallTime from, Tariff tariff) {  // one change per instant, as the engine
    std::erase_if(tariffs.changes, [&](const TariffChange& c) { return c.effective_from == from; });
    tariffs.changes.push_back({from, std::move(tariff)});
  }
  void read(const std::string& meter_id, std::int64_t energy_wh, std::int64_t now_ms) {
    MeterModel& meter = meters[meter_id];
    if (!meter.seen) {
      meter = MeterModel{true, energy_wh, energy_wh, now_ms};
      return;
    }
    const PricedIncrement priced = brute_force::reference_price(
        tariffs, kOffsetMinutes, counters, meter.time_ms, now_ms, energy_wh - meter.energy_wh);
    balance -= priced.charge;
    if (energy_wh > meter.energy_wh) {
      increments[meter_id].push_back(
          {energy_wh - meter.energy_wh, span_key(meter.time_ms, now_ms)});
    }
    meter.energy_wh = energy_wh;
    meter.time_ms = now_ms;
  }

  PriceKey key_at(std::int64_t t) const {
    std::int64_t from = -1;
    for (const TariffChange& c : tariffs.changes) {
      const std::int64_t ms = to_unix_ms(c.effective_from);
      if (ms <= t && ms > from) from = ms;
    }
    const brute_force::Civil c = brute_force::civil_at(t, kOffsetMinutes);
    const Tariff& tariff = *tariffs.at(t);
    return {from, static_cast<std::int32_t>(c.year * 10000 + c.month * 100 + c.day),
            static_cast<int>(brute_force::tou_period_at(*tariff.tou, c))};
  }
  // Periods and dates change on whole minutes, tariffs at their instants.
  std::optional<PriceKey> span_key(std::int64_t from, std::int64_t to) const {
    if (to <= from) return key_at(to);
    const PriceKey key = key_at(from);
    for (std::int64_t t = (from / kMsPerMinute + 1) * kMsPerMinute; t < to; t += kMsPerMinute) {
      if (key_at(t) != key) return std::nullopt;
    }
    for (const TariffChange& c : tariffs.changes) {
      const std::int64_t ms = to_unix_ms(c.effective_from);
      if (ms > from && ms < to && key_at(ms) != key) return std::nullopt;
    }
    return key;
  }
};

// ---- one sequence -------------------------------------------------------------------------

// What the sequences of one test went through, so that a change to the generator cannot
// quietly leave a rule unexercised.
struct Coverage {
  int on_boundary = 0;  // readings exactly on a TOU switch or local midnight
  int repeated_orders = 0;
  int refused_refunds = 0;
  int tariff_changes = 0;
  int restarts = 0;
  int crashes = 0;
  std::int64_t cut_offs = 0;  // cut_off events
  std::int64_t deduction_rows = 0;
  int coalesced_rows = 0;  // deduction rows of more than one increment (checked for one price)
};

class Sequence {
 public:
  Sequence(std::uint64_t seed, bool crashes, Coverage& coverage)
      : seed_(seed), crashes_(crashes), coverage_(coverage), rng_(seed), clock_(random_start()) {}

  ~Sequence() {
    engine_.reset();  // before the store, whose last callbacks find a dead engine
  }

  // False after the first failure (reported with the seed and the steps so far).
  bool run(int steps) {
    const TariffPair first = random_tariff(rng_, 0, nullptr, now_ms());
    config_.zone = LocalZone{std::chrono::minutes(kOffsetMinutes)};
    config_.ledger_interval = std::chrono::milliseconds(uniform(rng_, 1, 60) * kMsPerMinute);
    config_.tariffs[first.tariff.id] = first.tariff;
    config_.tariff_json[first.tariff.id] = first.json;
    AccountSpec account;
    account.id = "a1";
    account.meters = kMeters;
    account.tariff_id = first.tariff.id;
    account.opening_balance = Money{uniform(rng_, 5, 300) * kUnits};
    config_.accounts.push_back(account);
    model_.set_tariff(WallTime{}, first.tariff);
    model_.balance = account.opening_balance;
    note("start ledger_interval=" + std::to_string(config_.ledger_interval.count()) +
         "ms opening=" + std::to_string(account.opening_balance.units) + " tariff " + first.json);
    start_engine();
    for (int step = 0; step < steps; ++step) {
      if (!random_step(step) || !live_state_matches()) return false;
    }
    for (const std::string& meter : kMeters) {  // so energy lost in a crash is billed again
      clock_.advance(1min);
      read(meter, model_.meters[meter].energy_wh);
    }
    return finish();
  }

 private:
  WallTime random_start() {
    // 2026, whole seconds; some sequences start near a month end (tier periods).
    const std::int64_t day =
        chance(rng_, 30) ? 31 * uniform(rng_, 0, 11) + 27 : uniform(rng_, 0, 364);
    return at_ms(1'767'225'600'000 + day * kMsPerDay + uniform(rng_, 0, 86'399) * 1000);
  }
  std::int64_t now_ms() const { return to_unix_ms(clock_.wall_now()); }
  const Tariff& tariff_now() const { return *model_.tariffs.at(now_ms()); }

  void note(std::string what) {
    trace_.push_back("[" + std::to_string(now_ms()) + "] " + std::move(what));
  }
  bool fail(const std::string& why) {
    std::string steps;
    for (const std::string& line : trace_) steps += "\n  " + line;
    ADD_FAILURE() << "seed " << seed_ << (crashes_ ? " (crashes)" : "") << ": " << why
                  << "\nsteps:" << steps;
    return false;
  }

  void start_engine() {
    engine_ = std::make_unique<Engine>(
        store_, clock_, config_, relays_,
        [this](std::function<void()> fn) { boost::asio::post(io_, std::move(fn)); });
    engine_->start();
    drain();
  }
  void drain() { test::drain_loop(io_); }
  template <typename Condition>
  bool pump_until(Condition condition) {  // single-threaded: drained is done
    drain();
    return condition();
  }

  void read(const std::string& meter, std::int64_t energy_wh) {
    MeterReading reading{{{"energy_total", PointScalar{energy_wh}},
                          {"relay_closed", PointScalar{relays_.closed(meter)}}},
                         {}};
    engine_->on_reading(MeterPolled{meter, "g", clock_.wall_now(), std::move(reading)});
    model_.read(meter, energy_wh, now_ms());
    drain();
  }

  // Seconds to days, or exactly onto the next TOU switch or local midnight.
  void advance_clock() {
    on_boundary_ = false;
    const std::int64_t kind = uniform(rng_, 1, 100);
    std::int64_t by_ms = 0;
    if (kind <= 35) {
      by_ms = uniform(rng_, 0, 300) * 1000;
    } else if (kind <= 60) {
      by_ms = uniform(rng_, 1, 180) * kMsPerMinute;
    } else if (kind <= 72) {
      by_ms = uniform(rng_, 1, 30) * 60 * kMsPerMinute;
    } else if (kind <= 78) {
      by_ms = uniform(rng_, 1, 6) * kMsPerDay + uniform(rng_, 0, 86'399) * 1000;
    } else if (kind <= 90) {
      by_ms = to_next_tou_switch();
      on_boundary_ = true;
    } else {
      on_boundary_ = true;
      const std::int64_t local = now_ms() + kOffsetMinutes * kMsPerMinute;
      by_ms = (brute_force::floor_div(local, kMsPerDay) + 1) * kMsPerDay - local;
    }
    clock_.advance(Millis(by_ms));
    note("advance " + std::to_string(by_ms) + "ms");
  }
  std::int64_t to_next_tou_switch() const {
    const TimeOfUse& tou = *tariff_now().tou;
    const std::int64_t now = now_ms();
    const TouPeriod current =
        brute_force::tou_period_at(tou, brute_force::civil_at(now, kOffsetMinutes));
    std::int64_t t = (brute_force::floor_div(now, kMsPerMinute) + 1) * kMsPerMinute;
    for (; t < now + 3 * kMsPerDay; t += kMsPerMinute) {
      if (brute_force::tou_period_at(tou, brute_force::civil_at(t, kOffsetMinutes)) != current)
        break;
    }
    return t - now;
  }

  bool random_step(int step) {
    const std::int64_t kind = uniform(rng_, 1, 100);
    if (kind <= 55) {
      advance_clock();
      const std::string& meter = kMeters[static_cast<std::size_t>(uniform(rng_, 0, 1))];
      MeterModel& m = model_.meters[meter];
      const std::int64_t energy =
          m.seen ? m.energy_wh + (chance(rng_, 10) ? 0 : uniform(rng_, 1, 2000))
                 : uniform(rng_, 0, 10'000'000);
      note("read " + meter + " " + std::to_string(energy));
      coverage_.on_boundary += on_boundary_;
      read(meter, energy);
      return true;
    }
    if (kind <= 65) return money_order(/*recharge=*/true, step);
    if (kind <= 73) return money_order(/*recharge=*/false, step);
    if (kind <= 77) return change_tariff(step);
    if (kind <= 92) {
      note("tick");
      engine_->on_tick();
      drain();
      return true;
    }
    if (kind <= 95) {
      advance_clock();
      return true;
    }
    return restart(crashes_ && chance(rng_, 70));
  }

  bool money_order(bool is_recharge, int step) {
    std::map<std::string, Money>& accepted = is_recharge ? model_.recharges : model_.refunds;
    const Money live = engine_->account("a1")->balance;
    MoneyOrder order{std::string(is_recharge ? "r-" : "f-") + std::to_string(step), "a1", Money{},
                     "cloud"};
    bool repeat = !accepted.empty() && chance(rng_, 25);
    if (repeat) {
      auto known = accepted.begin();
      std::advance(known, uniform(rng_, 0, static_cast<std::int64_t>(accepted.size()) - 1));
      order.order_id = known->first;
      order.amount = known->second;
    } else if (is_recharge) {
      order.amount = Money{uniform(rng_, 1, 100 * kUnits)};
    } else if (live > Money{0} && chance(rng_, 70)) {
      order.amount = Money{uniform(rng_, 1, live.units)};
    } else {  // beyond the balance
      order.amount = Money{std::max<std::int64_t>(live.units, 0) + uniform(rng_, 1, 10 * kUnits)};
    }
    note(std::string(is_recharge ? "recharge " : "refund ") + order.order_id + " " +
         std::to_string(order.amount.units) + (repeat ? " (repeat)" : ""));
    std::optional<MoneyOutcome> outcome;
    auto done = [&outcome](MoneyOutcome o) { outcome = std::move(o); };
    if (is_recharge) {
      engine_->recharge(order, done);
    } else {
      engine_->refund(order, done);
    }
    if (!pump_until([&] { return outcome.has_value(); }))
      return fail("no outcome for " + order.order_id);
    const bool expect_ok = repeat || is_recharge || order.amount <= live;
    if (outcome->ok != expect_ok || outcome->duplicate != repeat) {
      return fail(order.order_id + ": ok=" + std::to_string(outcome->ok) +
                  " duplicate=" + std::to_string(outcome->duplicate) + " code=" + outcome->code);
    }
    coverage_.repeated_orders += repeat;
    coverage_.refused_refunds += !expect_ok;
    if (expect_ok && !repeat) {
      accepted[order.order_id] = order.amount;
      model_.balance += is_recharge ? order.amount : -order.amount;
    }
    return true;
  }

  bool change_tariff(int step) {
    const bool keep_layout = chance(rng_, 50);
    const TariffPair next =
        random_tariff(rng_, step + 1, keep_layout ? &tariff_now() : nullptr, now_ms());
    note("set_tariff " + next.json);
    std::optional<AdminOutcome> outcome;
    engine_->set_tariff("a1", command_tariff(next.json), clock_.wall_now(),
                        [&outcome](AdminOutcome o) { outcome = std::move(o); });
    if (!pump_until([&] { return outcome.has_value(); })) return fail("no outcome for set_tariff");
    if (!outcome->ok) return fail("set_tariff refused: " + outcome->message);
    model_.set_tariff(clock_.wall_now(), next.tariff);
    ++coverage_.tariff_changes;
    return true;
  }

  bool restart(bool crash) {
    note(crash ? "crash" : "restart");
    ++(crash ? coverage_.crashes : coverage_.restarts);
    if (!crash) engine_->stop();
    if (!crash) drain();
    engine_.reset();  // a crash: what was not handed to the store is gone
    start_engine();
    return true;
  }

  // Without crashes the live balance and counters are the model's after every step.
  bool live_state_matches() {
    if (crashes_) return true;
    const AccountRuntime& account = *engine_->account("a1");
    if (account.balance != model_.balance) {
      return fail("live balance " + std::to_string(account.balance.units) + " != model " +
                  std::to_string(model_.balance.units));
    }
    if (!(account.counters == model_.counters))
      return fail("billing counters differ from the model");
    return true;
  }

  bool finish() {
    const Money live = engine_->account("a1")->balance;
    engine_->stop();
    drain();
    if (store_.refused_writes != 0) return fail("a money order was written twice");
    const std::vector<LedgerEntry>& entries = store_.ledger();
    auto count = [&](auto pred) {
      return static_cast<std::int64_t>(std::count_if(entries.begin(), entries.end(), pred));
    };
    std::int64_t ledger = 0;
    for (const LedgerEntry& entry : entries) {
      if (entry.account_id == "a1") ledger += entry.amount.units;
    }
    const std::int64_t stored = store_.state("a1") ? store_.state("a1")->balance.units : -1;
    if (ledger != stored || stored != live.units) {
      return fail("ledger sum " + std::to_string(ledger) + ", stored balance " +
                  std::to_string(stored) + ", live balance " + std::to_string(live.units));
    }
    if (!crashes_ && live != model_.balance) {
      return fail("balance " + std::to_string(live.units) + " != model " +
                  std::to_string(model_.balance.units));
    }
    std::int64_t orders = 0;
    for (const auto* accepted : {&model_.recharges, &model_.refunds}) {
      for (const auto& [id, amount] : *accepted) {
        ++orders;
        if (count([&](const LedgerEntry& e) { return e.order_id == id; }) != 1) {
          return fail("order " + id + " has not exactly one ledger row");
        }
      }
    }
    if (count([](const LedgerEntry& e) { return e.kind == "recharge" || e.kind == "refund"; }) !=
        orders) {
      return fail("ledger rows of orders that were refused");
    }
    if (!crashes_ && !coalesced_rows_share_one_price()) return false;
    for (const std::string& meter : kMeters) {
      const MeterModel& m = model_.meters[meter];
      std::int64_t billed = 0;
      for (const LedgerEntry& entry : entries) {
        if (entry.kind == "deduction" && entry.meter_id == meter) billed += wh_of(entry);
      }
      if (billed != m.energy_wh - m.first_wh) {
        return fail(meter + ": " + std::to_string(billed) + " Wh billed, " +
                    std::to_string(m.energy_wh - m.first_wh) + " Wh consumed");
      }
    }
    coverage_.cut_offs += std::count_if(store_.events.begin(), store_.events.end(),
                                        [](const Event& e) { return e.type == "cut_off"; });
    coverage_.deduction_rows += count([](const LedgerEntry& e) { return e.kind == "deduction"; });
    return true;
  }

  // A deduction row covering several increments (matched in order by their Wh) holds energy
  // of one price only: that is what makes re-billing after a crash exact (engine.h).
  bool coalesced_rows_share_one_price() {
    std::map<std::string, std::size_t> next;
    const std::vector<LedgerEntry>& entries = store_.ledger();
    for (std::size_t id = 0; id < entries.size(); ++id) {
      if (entries[id].kind != "deduction") continue;
      const std::string row = "deduction row " + std::to_string(id + 1);
      const std::vector<Increment>& increments = model_.increments[entries[id].meter_id];
      std::size_t& i = next[entries[id].meter_id];
      const std::int64_t wh = wh_of(entries[id]);
      std::int64_t taken = 0;
      std::set<PriceKey> keys;
      bool crossing = false;
      const std::size_t first = i;
      for (; taken < wh && i < increments.size(); ++i) {
        taken += increments[i].wh;
        if (increments[i].key) keys.insert(*increments[i].key);
        crossing |= !increments[i].key;
      }
      if (taken != wh) return fail(row + ": its Wh are not whole increments");
      coverage_.coalesced_rows += i - first > 1;
      if (i - first > 1 && (crossing || keys.size() > 1)) {
        return fail(row + " coalesces " + std::to_string(i - first) +
                    " increments across a price boundary");
      }
    }
    return true;
  }

  // The Wh a deduction row's details carry.
  static std::int64_t wh_of(const LedgerEntry& entry) {
    const nlohmann::json details = nlohmann::json::parse(entry.details_json, nullptr, false);
    return details.is_object() ? details.value("wh", std::int64_t{0}) : 0;
  }

  const std::uint64_t seed_;
  const bool crashes_;
  Coverage& coverage_;
  bool on_boundary_ = false;  // the last clock jump landed on a TOU switch or midnight
  Rng rng_;
  ManualClock clock_;
  boost::asio::io_context io_;
  InstantRelays relays_{io_};
  MemoryEngineStore store_;
  BillingConfig config_;
  std::unique_ptr<Engine> engine_;
  Model model_;
  std::vector<std::string> trace_;
};

std::uint64_t base_seed() {
  const char* env = std::getenv("METERD_ENGINE_SEED");
  return env ? std::strtoull(env, nullptr, 10) : 20260301;
}

void expect_exercised(const Coverage& c, bool crashes) {
  std::printf(
      "exercised: %d readings on a boundary, %d repeated orders, %d refused refunds, "
      "%d tariff changes, %d restarts, %d crashes, %lld cut-offs, %lld deduction rows "
      "(%d of several increments)\n",
      c.on_boundary, c.repeated_orders, c.refused_refunds, c.tariff_changes, c.restarts, c.crashes,
      static_cast<long long>(c.cut_offs), static_cast<long long>(c.deduction_rows),
      c.coalesced_rows);
  EXPECT_GT(c.on_boundary, 0);
  EXPECT_GT(c.repeated_orders, 0);
  EXPECT_GT(c.refused_refunds, 0);
  EXPECT_GT(c.tariff_changes, 0);
  EXPECT_GT(c.restarts, 0);
  EXPECT_GT(c.cut_offs, 0);
  EXPECT_GT(c.deduction_rows, 0);
  if (crashes) {
    EXPECT_GT(c.crashes, 0);
  } else {
    EXPECT_GT(c.coalesced_rows, 0);
  }
}

TEST(EngineProperty, BalanceIsTheIndependentlyPricedIncrementsAcrossRestartsAndTariffChanges) {
  const std::uint64_t base = base_seed();
  Coverage coverage;
  for (int i = 0; i < 32; ++i) {
    if (!Sequence(base + i, /*crashes=*/false, coverage).run(150)) return;  // the first says it all
  }
  expect_exercised(coverage, false);
}

TEST(EngineProperty, CrashesLoseNoEnergyAndBillNoneTwice) {
  const std::uint64_t base = base_seed() + 1'000'000;
  Coverage coverage;
  for (int i = 0; i < 16; ++i) {
    if (!Sequence(base + i, /*crashes=*/true, coverage).run(150)) return;
  }
  expect_exercised(coverage, true);
}

}  // namespace
}  // namespace meterd::test
