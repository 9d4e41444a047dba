#include "modbus/transport.h"

#include <modbus/modbus.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "modbus/codec/frame.h"

namespace meterd::modbus {
namespace {

using Clock = std::chrono::steady_clock;

void set_timeout(modbus_t* ctx, std::chrono::milliseconds t) {
  const auto ms = t.count();
  modbus_set_response_timeout(ctx, static_cast<std::uint32_t>(ms / 1000),
                              static_cast<std::uint32_t>((ms % 1000) * 1000));
}

}  // namespace

ModbusLink::ModbusLink(LineSettings settings) : settings_(std::move(settings)) {
  if (!settings_.tcp) {
    const LineTiming t = line_timing(settings_.baud, settings_.parity != 'N', settings_.stop_bits);
    t35_ = std::chrono::nanoseconds(static_cast<std::int64_t>(t.t35_seconds * 1e9));
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
  // Replies arrive as one burst after the meter's latency; 1.5 characters between bytes
  // would be the RTU rule, but ptys and USB adapters deliver in chunks.
  modbus_set_byte_timeout(ctx_, 0, 100'000);
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
  idle_since_ = Clock::now();
  return Ok{};
}

void ModbusLink::close() {
  if (ctx_ == nullptr) return;
  modbus_close(ctx_);
  modbus_free(ctx_);
  ctx_ = nullptr;
}

void ModbusLink::before_request(std::uint8_t unit, std::chrono::milliseconds timeout) {
  modbus_set_slave(ctx_, unit);
  set_timeout(ctx_, timeout);
  if (settings_.tcp) return;
  const auto ready = idle_since_ + t35_;
  if (Clock::now() < ready) std::this_thread::sleep_until(ready);
  // Anything that arrived during the silence belongs to no transaction of ours.
  modbus_flush(ctx_);
}

Error ModbusLink::failure(const char* what) {
  const int e = errno;
  Error error;
  if (e == ETIMEDOUT) {
    error = make_error(ErrorKind::kTimeout, std::string(what) + ": no reply");
  } else if (e == EMBBADCRC) {
    error = make_error(ErrorKind::kChecksum, std::string(what) + ": CRC error");
  } else if (e > MODBUS_ENOBASE && e <= EMBXGTAR) {
    const int code = e - MODBUS_ENOBASE;
    error = make_error(ErrorKind::kException,
                       std::string(what) + ": exception " + std::to_string(code), code);
  } else if (e >= EMBBADDATA && e <= EMBBADSLAVE) {
    error = make_error(ErrorKind::kMalformed, std::string(what) + ": " + modbus_strerror(e));
  } else {
    error = make_error(ErrorKind::kBusError, std::string(what) + ": " + modbus_strerror(e));
  }
  if (error.kind == ErrorKind::kBusError) {
    close();
  } else if (error.kind != ErrorKind::kException && ctx_ != nullptr) {
    // A late or broken reply may still be on its way: let it land, then drop it.
    std::this_thread::sleep_for(settings_.recovery_wait);
    modbus_flush(ctx_);
  }
  idle_since_ = Clock::now();
  return error;
}

Result<std::vector<std::uint16_t>> ModbusLink::read(std::uint8_t unit, std::uint8_t fc,
                                                    std::uint16_t address, std::uint16_t count,
                                                    std::chrono::milliseconds timeout) {
  if (ctx_ == nullptr) return make_error(ErrorKind::kBusError, "line not open");
  before_request(unit, timeout);
  std::vector<std::uint16_t> regs(count);
  const int n = fc == kReadInput ? modbus_read_input_registers(ctx_, address, count, regs.data())
                                 : modbus_read_registers(ctx_, address, count, regs.data());
  if (n != count) {
    if (n >= 0) errno = EMBBADDATA;
    return failure("read");
  }
  idle_since_ = Clock::now();
  return regs;
}

Status ModbusLink::write(std::uint8_t unit, std::uint8_t fc, std::uint16_t address,
                         std::span<const std::uint16_t> values, std::chrono::milliseconds timeout) {
  if (ctx_ == nullptr) return make_error(ErrorKind::kBusError, "line not open");
  before_request(unit, timeout);
  if (unit == kBroadcast || (fc != kWriteSingle && fc != kWriteMultiple)) {
    return raw_write(unit, fc, address, values, timeout);
  }
  const int n =
      fc == kWriteSingle
          ? modbus_write_register(ctx_, address, values[0])
          : modbus_write_registers(ctx_, address, static_cast<int>(values.size()), values.data());
  if (n < 0) return failure("write");
  idle_since_ = Clock::now();
  return Ok{};
}

// Vendor codes and broadcasts bypass libmodbus's reply parser, which knows the reply length
// of standard codes only.
Status ModbusLink::raw_write(std::uint8_t unit, std::uint8_t fc, std::uint16_t address,
                             std::span<const std::uint16_t> values,
                             std::chrono::milliseconds timeout) {
  std::vector<std::uint8_t> pdu = fc == kWriteSingle ? write_single_request(address, values[0])
                                                     : write_multiple_request(fc, address, values);
  std::vector<std::uint8_t> raw{unit};
  raw.insert(raw.end(), pdu.begin(), pdu.end());
  if (modbus_send_raw_request(ctx_, raw.data(), static_cast<int>(raw.size())) < 0) {
    return failure("write");
  }
  if (unit == kBroadcast) {
    std::this_thread::sleep_for(settings_.broadcast_turnaround);
    idle_since_ = Clock::now();
    return Ok{};
  }
  auto reply = raw_receive(fc, timeout);
  if (!reply.ok()) {
    errno = reply.error().kind == ErrorKind::kTimeout    ? ETIMEDOUT
            : reply.error().kind == ErrorKind::kChecksum ? EMBBADCRC
            : reply.error().kind == ErrorKind::kBusError ? EIO
                                                         : EMBBADDATA;
    return failure("write");
  }
  std::span<const std::uint8_t> reply_pdu;
  if (settings_.tcp) {
    const auto& b = reply.value();
    if (b.size() < 8 || b[6] != unit) {
      errno = EMBBADDATA;
      return failure("write");
    }
    reply_pdu = std::span<const std::uint8_t>(b).subspan(7);
  } else {
    auto adu = parse_rtu(reply.value());
    if (!adu.ok() || adu.value().unit != unit) {
      errno = !adu.ok() && adu.error().kind == ErrorKind::kChecksum ? EMBBADCRC : EMBBADDATA;
      return failure("write");
    }
    reply_pdu = adu.value().pdu;
  }
  const auto count = fc == kWriteSingle ? values[0] : static_cast<std::uint16_t>(values.size());
  Status status = parse_write_reply(reply_pdu, fc, address, count);
  if (!status.ok() && status.error().kind != ErrorKind::kException) {
    errno = EMBBADDATA;
    return failure("write");
  }
  idle_since_ = Clock::now();
  return status;
}

Result<std::vector<std::uint8_t>> ModbusLink::raw_receive(std::uint8_t fc,
                                                          std::chrono::milliseconds timeout) {
  const int fd = modbus_get_socket(ctx_);
  const auto deadline = Clock::now() + timeout;
  std::vector<std::uint8_t> buf;
  std::size_t want = settings_.tcp ? 7 : 2;
  while (buf.size() < want) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return make_error(ErrorKind::kTimeout, "no reply");
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return make_error(ErrorKind::kBusError, strerror(errno));
    if (r == 0) return make_error(ErrorKind::kTimeout, "no reply");
    std::uint8_t chunk[260];
    const ssize_t n = ::read(fd, chunk, std::min(sizeof chunk, want - buf.size()));
    if (n <= 0) return make_error(ErrorKind::kBusError, "read failed");
    buf.insert(buf.end(), chunk, chunk + n);
    if (settings_.tcp && buf.size() >= 7) {
      want = 6u + ((buf[4] << 8) | buf[5]);
      if (want > 260) return make_error(ErrorKind::kMalformed, "bad MBAP length");
    } else if (!settings_.tcp) {
      if (auto total = rtu_reply_length(buf)) want = *total;
      // Vendor codes with the high bit set: 5 bytes with a good CRC are the exception reply.
      if ((fc & 0x80) && buf.size() >= 2) want = buf.size() == 5 && parse_rtu(buf).ok() ? 5 : 8;
    }
  }
  return buf;
}

}  // namespace meterd::modbus
