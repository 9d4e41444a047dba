// SPDX-License-Identifier: Apache-2.0
// Errors as values on the data path: Result<T> holds either a value or an Error.
// Pure value types; no I/O.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace meterd {

// What went wrong talking to a meter or a bus. Plugins return these; nothing throws across
// the plugin boundary.
enum class ErrorKind {
  kTimeout,          // no reply within the meter's timeout
  kChecksum,         // CRC / checksum mismatch
  kException,        // the meter answered with a protocol exception (code in Error::code)
  kMalformed,        // a reply that could not be decoded
  kNotSupported,     // the meter/profile has no such point or action
  kInvalidArgument,  // a bad action argument
  kRejected,         // the meter refused (password, verification failed ...)
  kBusError,         // the transport itself failed (device gone, I/O error)
  kInternal,         // a bug or an unexpected state
};

const char* to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  int code = 0;  // protocol-specific detail, e.g. a Modbus exception code
  std::string message;
};

template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(state_); }
  const T& value() const { return std::get<0>(state_); }
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Result of an operation with no value.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(ErrorKind kind, std::string message, int code = 0) {
  return Error{kind, code, std::move(message)};
}

}  // namespace meterd
