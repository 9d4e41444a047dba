// SPDX-License-Identifier: Apache-2.0
#include "core/result.h"

namespace meterd {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kChecksum:
      return "checksum";
    case ErrorKind::kException:
      return "exception";
    case ErrorKind::kMalformed:
      return "malformed";
    case ErrorKind::kNotSupported:
      return "not_supported";
    case ErrorKind::kInvalidArgument:
      return "invalid_argument";
    case ErrorKind::kRejected:
      return "rejected";
    case ErrorKind::kBusError:
      return "bus_error";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "unknown";
}

}  // namespace meterd
