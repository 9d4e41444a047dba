// SPDX-License-Identifier: Apache-2.0
#include "modbus/transport/modbus_link.h"

#include <fcntl.h>
#include <modbus/modbus.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include "common/line_drain.h"
#include "modbus/codec/frame.h"

namespace meterd::modbus {
namespace {

using Clock = std::chrono::steady_clock;

Error bus_error(const std::string& what) {
  return make_error(ErrorKind::kBusError, what + ": " + std::strerror(errno));
}

}  // namespace

ModbusLink::ModbusLink(LineSettings settings) : settings_(std::move(settings)) {
  if (!settings_.tcp) {
    const LineTiming t = line_timing(settings_.baud, settings_.parity != 'N', settings_.stop_bits);
    t35_ = std::chrono::microseconds(static_cast<std::int64_t>(t.t35_seconds * 1e6));
  }
}

ModbusLink::~ModbusLink() { close(); }

Status ModbusLink::open() {
  close();
  ctx_ = settings_.tcp ? modbus_new_tcp(settings_.host.c_str(), settings_.port)
                       : modbus_new_rtu(settings_.device.c_str(), settings_.baud, settings_.parity,
                                        settings_.data_bits, settings_.stop_bits);
  if (ctx_ == nullptr) {
    return make_error(ErrorKind::kBusError, std::string("modbus context: ") + strerror(errno));
  }
  if (modbus_connect(ctx_) != 0) {
    const std::string why = modbus_strerror(errno);
    modbus_free(ctx_);
    ctx_ = nullptr;
    return make_error(
        ErrorKind::kBusError,
        "cannot open " + (settings_.tcp ? settings_.host : settings_.device) + ": " + why);
  }
  if (!settings_.tcp && settings_.rs485 &&
      modbus_rtu_set_serial_mode(ctx_, MODBUS_RTU_RS485) != 0) {
    const std::string why = modbus_strerror(errno);
    close();
    return make_error(ErrorKind::kBusError, "cannot set RS-485 mode: " + why);
  }
  fd_ = modbus_get_socket(ctx_);
  if (fd_ < 0 || ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK) != 0) {
    Error error = bus_error("cannot make the line non-blocking");
    close();
    return error;
  }
  pending_.clear();
  idle_since_ = Clock::now();
  return Ok{};
}

void ModbusLink::close() {
  if (ctx_ == nullptr) return;
  modbus_close(ctx_);
  modbus_free(ctx_);
  ctx_ = nullptr;
  fd_ = -1;
}

Status ModbusLink::send(std::uint8_t unit, std::span<const std::uint8_t> pdu) {
  return send_adu(settings_.tcp ? tcp_frame(++transaction_, unit, pdu) : rtu_frame(unit, pdu));
}

Status ModbusLink::send_adu(std::span<const std::uint8_t> adu) {
  std::span<const std::uint8_t> rest(adu);
  while (!rest.empty()) {
    const ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n > 0) {
      rest = rest.subspan(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EAGAIN) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, 1000) <= 0) return bus_error("write stalled");
    } else if (!(n < 0 && errno == EINTR)) {
      return bus_error("write");
    }
  }
  return Ok{};
}

std::optional<Result<ModbusLink::Reply>> ModbusLink::take_frame(std::uint8_t unit, std::uint8_t fc,
                                                                std::uint16_t first) {
  for (;;) {
    const auto length = settings_.tcp ? tcp_frame_length(pending_) : rtu_reply_length(pending_, fc);
    if (!length || pending_.size() < *length) return std::nullopt;
    const std::span<const std::uint8_t> frame(pending_.data(), *length);
    std::uint8_t from = 0;
    bool stray = false;
    Reply reply;
    if (settings_.tcp) {
      auto adu = parse_tcp(frame);
      if (!adu.ok()) return adu.error();  // a header no peer sends
      from = adu.value().unit;
      reply.transaction = adu.value().transaction;
      // Outstanding: first .. transaction_ (modulo 2^16).
      stray = static_cast<std::uint16_t>(reply.transaction - first) >
              static_cast<std::uint16_t>(transaction_ - first);
      reply.pdu.assign(adu.value().pdu.begin(), adu.value().pdu.end());
    } else {
      auto adu = parse_rtu(frame);
      if (!adu.ok()) return adu.error();  // CRC: the drain drops the rest
      from = adu.value().unit;
      stray = from != unit;
      reply.pdu.assign(adu.value().pdu.begin(), adu.value().pdu.end());
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(*length));
    if (stray) {
      ++stats_.stray_frames;  // the late answer to an earlier request
      continue;
    }
    if (from != unit) return make_error(ErrorKind::kMalformed, "reply from another unit");
    return reply;
  }
}

Result<ModbusLink::Reply> ModbusLink::receive(std::uint8_t unit, std::uint8_t fc,
                                              std::uint16_t first, Clock::time_point deadline) {
  for (;;) {
    if (auto frame = take_frame(unit, fc, first)) return std::move(*frame);
    const auto now = Clock::now();
    if (now >= deadline) {
      return make_error(ErrorKind::kTimeout, pending_.empty() ? "no reply" : "reply cut short");
    }
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(wait.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return bus_error("poll");
    if (ready == 0) continue;
    std::uint8_t chunk[4096];  // pipelined replies may be waiting together
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n > 0) {
      pending_.insert(pending_.end(), chunk, chunk + n);
    } else if (n == 0) {
      errno = ECONNRESET;
      return bus_error("read");
    } else if (errno != EINTR && errno != EAGAIN) {
      return bus_error("read");
    }
  }
}

Result<std::vector<std::uint8_t>> ModbusLink::transact(std::uint8_t unit,
                                                       std::span<const std::uint8_t> pdu,
                                                       std::chrono::milliseconds timeout) {
  if (ctx_ == nullptr) return make_error(ErrorKind::kBusError, "line not open");
  if (!settings_.tcp) {
    const auto ready = idle_since_ + t35_;
    if (Clock::now() < ready) std::this_thread::sleep_until(ready);
  }
  if (!settings_.tcp) {
    // Anything that arrived while the line was idle belongs to no transaction of ours. (A TCP
    // stream keeps its framing: a late reply there is recognised by its transaction id.)
    stats_.drained_bytes += line::drop_pending(fd_) + pending_.size();
    pending_.clear();
  }
  if (Status sent = send(unit, pdu); !sent.ok()) return failed(sent.error());
  if (unit == kBroadcast) {
    std::this_thread::sleep_for(settings_.broadcast_turnaround);
    idle_since_ = Clock::now();
    return std::vector<std::uint8_t>{};
  }
  auto reply = receive(unit, pdu[0], transaction_, Clock::now() + timeout);
  if (!reply.ok()) return failed(reply.error());
  idle_since_ = Clock::now();
  return std::move(reply.value().pdu);
}

std::vector<Result<std::vector<std::uint16_t>>> ModbusLink::read_pipelined(
    std::uint8_t unit, std::span<const BlockRead> blocks, std::chrono::milliseconds timeout) {
  std::vector<std::optional<Result<std::vector<std::uint16_t>>>> slots(blocks.size());
  const auto fail_rest = [&](const Error& error) {
    for (auto& slot : slots) {
      if (!slot) slot = error;
    }
  };
  if (ctx_ == nullptr || !settings_.tcp) {
    fail_rest(make_error(ErrorKind::kBusError, ctx_ ? "pipelining needs TCP" : "line not open"));
  } else {
    const auto first = static_cast<std::uint16_t>(transaction_ + 1);
    std::vector<std::uint8_t> adus;
    for (const BlockRead& block : blocks) {
      const std::vector<std::uint8_t> adu =
          tcp_frame(++transaction_, unit, read_request(block.fc, block.address, block.count));
      adus.insert(adus.end(), adu.begin(), adu.end());
    }
    std::size_t answered = 0;
    if (Status sent = send_adu(adus); !sent.ok()) {
      fail_rest(failed(sent.error()));
      answered = blocks.size();
    }
    while (answered < blocks.size()) {
      auto reply = receive(unit, blocks[answered].fc, first, Clock::now() + timeout);
      if (!reply.ok()) {
        fail_rest(failed(reply.error()));
        break;
      }
      const auto index = static_cast<std::uint16_t>(reply.value().transaction - first);
      if (slots[index]) {  // a second answer to one request
        ++stats_.stray_frames;
        continue;
      }
      auto regs = parse_read_reply(reply.value().pdu, blocks[index].fc, blocks[index].count);
      if (!regs.ok() && regs.error().kind != ErrorKind::kException) {
        fail_rest(failed(regs.error()));
        break;
      }
      slots[index] = std::move(regs);
      ++answered;
    }
    idle_since_ = Clock::now();
  }
  std::vector<Result<std::vector<std::uint16_t>>> results;
  results.reserve(slots.size());
  for (auto& slot : slots) results.push_back(std::move(*slot));
  return results;
}

Error ModbusLink::failed(Error error) {
  if (error.kind == ErrorKind::kBusError) {
    close();
    return error;
  }
  // A late or broken reply may still be arriving: let it end before the next request.
  const line::DrainResult drained = line::drain_line(
      fd_, {settings_.recovery_wait, t35_, std::max(settings_.max_drain, settings_.recovery_wait)});
  stats_.drained_bytes += drained.bytes + pending_.size();
  if (!drained.quiet) ++stats_.noisy_drains;
  pending_.clear();
  idle_since_ = Clock::now();
  return error;
}

Result<std::vector<std::uint16_t>> ModbusLink::read(std::uint8_t unit, std::uint8_t fc,
                                                    std::uint16_t address, std::uint16_t count,
                                                    std::chrono::milliseconds timeout) {
  auto reply = transact(unit, read_request(fc, address, count), timeout);
  if (!reply.ok()) return reply.error();
  auto regs = parse_read_reply(reply.value(), fc, count);
  if (!regs.ok() && regs.error().kind != ErrorKind::kException) return failed(regs.error());
  return regs;
}

Status ModbusLink::write(std::uint8_t unit, std::uint8_t fc, std::uint16_t address,
                         std::span<const std::uint16_t> values, std::chrono::milliseconds timeout) {
  const std::vector<std::uint8_t> pdu = fc == kWriteSingle
                                            ? write_single_request(address, values[0])
                                            : write_multiple_request(fc, address, values);
  auto reply = transact(unit, pdu, timeout);
  if (!reply.ok()) return reply.error();
  if (unit == kBroadcast) return Ok{};
  const auto echoed = fc == kWriteSingle ? values[0] : static_cast<std::uint16_t>(values.size());
  Status status = parse_write_reply(reply.value(), fc, address, echoed);
  if (!status.ok() && status.error().kind != ErrorKind::kException) return failed(status.error());
  return status;
}

}  // namespace meterd::modbus
