// SPDX-License-Identifier: Apache-2.0
#include "sim/sim/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace meterd::sim {
namespace {

using json = nlohmann::json;

constexpr int kFormatVersion = 1;
constexpr const char* kBands[] = {"sharp", "peak", "flat", "valley"};

// Reads `key` of `object` as an integer into `out`; false when absent or not an integer.
bool integer_field(const json& object, const char* key, std::int64_t& out) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return false;
  out = it->get<std::int64_t>();
  return true;
}

std::optional<MeterState> decode_meter(const json& m) {
  if (!m.is_object()) return std::nullopt;
  MeterState s;
  auto bands = m.find("bands_wh");
  auto relay = m.find("relay_closed");
  if (!integer_field(m, "energy_wh", s.energy_wh) || !integer_field(m, "carry_wms", s.carry_wms) ||
      !integer_field(m, "cost_carry", s.cost_carry) ||
      !integer_field(m, "price_per_kwh", s.price_per_kwh) ||
      !integer_field(m, "purchase_count", s.purchase_count) || bands == m.end() ||
      !bands->is_object() || relay == m.end() || !relay->is_boolean()) {
    return std::nullopt;
  }
  for (int b = 0; b < 4; ++b) {
    if (!integer_field(*bands, kBands[b], s.band_wh[static_cast<std::size_t>(b)])) {
      return std::nullopt;
    }
  }
  if (s.energy_wh < 0 || s.carry_wms < 0 || s.price_per_kwh <= 0 || s.purchase_count < 0) {
    return std::nullopt;
  }
  if (m.contains("balance")) {
    std::int64_t balance = 0;
    if (!integer_field(m, "balance", balance)) return std::nullopt;
    s.balance = balance;
  }
  s.relay_closed = relay->get<bool>();
  return s;
}

Error io_error(const std::string& what, const std::string& path) {
  return make_error(ErrorKind::kBusError, what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

// Written as text directly, meter after meter: a bus of thousands of meters as a JSON document
// in memory first would take megabytes for a moment with every save.
std::string encode_bus_state(const BusState& state) {
  std::string out;
  out.reserve(64 + state.meters.size() * 200);
  const auto field = [&out](std::string_view key, std::int64_t value) {
    out += '"';
    out += key;
    out += "\":";
    out += std::to_string(value);
  };
  out += '{';
  field("version", kFormatVersion);
  out += ',';
  field("started_ms", state.started_ms);
  out += ',';
  field("saved_ms", state.saved_ms);
  out += ",\"meters\":{";
  bool first = true;
  for (const auto& [id, s] : state.meters) {
    if (!first) out += ',';
    first = false;
    out += json(id).dump();  // escaped as JSON needs
    out += ":{";
    field("energy_wh", s.energy_wh);
    out += ",\"bands_wh\":{";
    for (std::size_t b = 0; b < 4; ++b) {
      if (b > 0) out += ',';
      field(kBands[b], s.band_wh[b]);
    }
    out += "},";
    field("carry_wms", s.carry_wms);
    out += ',';
    field("cost_carry", s.cost_carry);
    out += ',';
    field("price_per_kwh", s.price_per_kwh);
    out += ',';
    field("purchase_count", s.purchase_count);
    out += s.relay_closed ? ",\"relay_closed\":true" : ",\"relay_closed\":false";
    if (s.balance) {
      out += ',';
      field("balance", *s.balance);
    }
    out += '}';
  }
  out += "}}\n";  // compact: the file is rewritten often, on flash too
  return out;
}

Result<BusState> decode_bus_state(std::string_view text) {
  const json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(ErrorKind::kMalformed, "not a JSON object");
  }
  std::int64_t version = 0;
  if (!integer_field(doc, "version", version) || version != kFormatVersion) {
    return make_error(ErrorKind::kMalformed, "unknown format version");
  }
  BusState state;
  if (!integer_field(doc, "started_ms", state.started_ms) ||
      !integer_field(doc, "saved_ms", state.saved_ms)) {
    return make_error(ErrorKind::kMalformed, "started_ms and saved_ms must be integers");
  }
  auto meters = doc.find("meters");
  if (meters == doc.end() || !meters->is_object()) {
    return make_error(ErrorKind::kMalformed, "'meters' must be an object");
  }
  for (const auto& [id, m] : meters->items()) {
    std::optional<MeterState> s = decode_meter(m);
    if (!s)
      return make_error(ErrorKind::kMalformed, "meter '" + id + "' has missing or bad fields");
    state.meters.emplace(id, *s);
  }
  return state;
}

std::string state_file_path(const std::string& dir, const std::string& bus_name) {
  std::string name = bus_name;
  for (char& c : name) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    if (!plain) c = '_';
  }
  return (dir.empty() ? std::string(".") : dir) + "/sim-" + name + ".json";
}

Result<std::optional<std::string>> read_state_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return io_error("cannot open", path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return io_error("cannot read", path);
  return std::optional<std::string>{text.str()};
}

Status write_state_file(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot create", temp);
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error error = io_error("cannot write", temp);
      ::close(fd);
      ::unlink(temp.c_str());
      return error;
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Error error = io_error("cannot sync", temp);
    ::close(fd);
    ::unlink(temp.c_str());
    return error;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    Error error = io_error("cannot rename to", path);
    ::unlink(temp.c_str());
    return error;
  }
  return Ok{};
}

}  // namespace meterd::sim
