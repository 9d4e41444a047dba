// SPDX-License-Identifier: Apache-2.0
#include "lonworks/transport/message_layer.h"

#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <optional>

namespace meterd::lonworks {

namespace {

std::uint16_t node_key(SubnetNode node) {
  return static_cast<std::uint16_t>(node.subnet << 8 | node.node);
}

Service reply_service(Service request) {
  return request == Service::kAckd ? Service::kAck : Service::kResponse;
}

bool addressed_to(const LonMessage& m, SubnetNode self) {
  switch (m.dest.kind) {
    case Destination::Kind::kSubnetNode:
      return m.dest.node == self;
    case Destination::Kind::kBroadcast:
      return m.dest.subnet == 0 || m.dest.subnet == self.subnet;
    default:
      return false;  // groups and Neuron IDs: the gateway has neither
  }
}

}  // namespace

MessageLayer::MessageLayer(MessageLayerConfig config, std::vector<std::unique_ptr<Link>> links,
                           const Clock& clock)
    : config_(config), links_(std::move(links)), clock_(clock) {
  config_.max_in_flight = std::max<std::size_t>(config_.max_in_flight, 1);
  config_.max_in_flight_per_node = std::clamp<std::size_t>(config_.max_in_flight_per_node, 1, 15);
}

Status MessageLayer::open() {
  close();
  for (auto& link : links_) {
    if (Status opened = link->open(); !opened) {
      close();
      return make_error(ErrorKind::kBusError, link->name() + ": " + opened.error().message);
    }
  }
  open_ = true;
  return Ok{};
}

void MessageLayer::close() {
  for (auto& link : links_) link->close();
  open_ = false;
}

LonMessage MessageLayer::outgoing(const LonRequest& request, std::uint8_t tid) const {
  LonMessage m;
  m.domain = config_.domain;
  m.source = config_.self;
  m.dest = to_node(request.node);
  m.service = request.service;
  m.transaction_id = tid;
  m.apdu = request.apdu;
  return m;
}

bool MessageLayer::wait_readable(SteadyTime deadline) {
  std::vector<pollfd> fds;
  for (auto& link : links_) fds.push_back(pollfd{link->fd(), POLLIN, 0});
  // Nanosecond timeouts (ppoll): rounding each wait up to a millisecond would add up to a
  // millisecond to every round of a pipelined cycle.
  const auto left = std::clamp<std::int64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - clock_.steady_now()).count(),
      0, 60'000'000'000);
  const timespec timeout{static_cast<time_t>(left / 1'000'000'000),
                         static_cast<long>(left % 1'000'000'000)};
  const int ready = ::ppoll(fds.data(), fds.size(), &timeout, nullptr);
  return ready >= 0 || errno == EINTR;
}

std::vector<std::pair<std::size_t, LonMessage>> MessageLayer::drain_links() {
  std::vector<std::pair<std::size_t, LonMessage>> out;
  for (std::size_t i = 0; i < links_.size(); ++i) {
    // Bounded per call so a flooding peer cannot starve the timers.
    for (int n = 0; n < 256; ++n) {
      auto message = links_[i]->poll();
      if (!message) break;
      out.emplace_back(i, std::move(*message));
    }
  }
  return out;
}

void MessageLayer::handle_unclaimed(std::size_t link, const LonMessage& m) {
  if (m.service == Service::kResponse || m.service == Service::kAck) {
    ++stats_.unmatched;
    return;
  }
  if (m.service == Service::kAckd && m.dest.kind == Destination::Kind::kSubnetNode) {
    LonMessage ack;
    ack.domain = config_.domain;
    ack.source = config_.self;
    ack.dest = to_node(m.source);
    ack.service = Service::kAck;
    ack.transaction_id = m.transaction_id;
    if (links_[link]->send(ack)) ++stats_.acks_sent;
  }
  if (!m.apdu.empty() && m.apdu[0] == nm::kServicePin) {
    if (auto identity = parse_identity(m.apdu)) {
      ++stats_.service_pins;
      service_pins_.push_back({link, m.source, identity.value()});
    }
  }
}

std::vector<Result<LonReply>> MessageLayer::exchange(std::span<const LonRequest> requests) {
  struct Flight {
    std::size_t request;
    std::uint8_t tid;
    int attempts;
    SteadyTime deadline;
  };
  std::vector<std::optional<Result<LonReply>>> results(requests.size());
  std::vector<Flight> flights;
  std::map<std::pair<std::size_t, std::uint16_t>, std::size_t> per_node;
  std::vector<char> started(requests.size(), 0);
  std::size_t next = 0;  // requests before it have been started
  std::size_t done = 0;
  auto finish = [&](std::size_t index, Result<LonReply> result) {
    results[index] = std::move(result);
    ++done;
  };
  auto send = [&](const Flight& flight) -> Status {
    const LonRequest& r = requests[flight.request];
    return links_[r.link]->send(outgoing(r, flight.tid));
  };
  auto release = [&](const Flight& flight) {
    const LonRequest& r = requests[flight.request];
    --per_node[{r.link, node_key(r.node)}];
  };

  // Requests that cannot be sent at all end at once.
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const LonRequest& r = requests[i];
    if (!open_) {
      finish(i, make_error(ErrorKind::kBusError, "the LON links are not open"));
    } else if (r.link >= links_.size()) {
      finish(i, make_error(ErrorKind::kInternal, "no such link"));
    } else if (r.service != Service::kRequest && r.service != Service::kAckd) {
      finish(i, make_error(ErrorKind::kInternal, "only REQUEST and ACKD wait for a reply"));
    }
  }

  while (done < requests.size()) {
    // Start what the window allows, in request order (a node at its bound is skipped).
    for (std::size_t i = next; i < requests.size() && flights.size() < config_.max_in_flight; ++i) {
      if (results[i] || started[i]) {
        if (i == next) ++next;
        continue;
      }
      const LonRequest& r = requests[i];
      const auto key = std::make_pair(r.link, node_key(r.node));
      if (per_node[key] >= config_.max_in_flight_per_node) continue;
      // A transaction id differing from the previous one and from those in flight.
      std::uint8_t tid = last_tid_[key];
      for (int step = 0; step < 15; ++step) {
        tid = static_cast<std::uint8_t>(tid % 15 + 1);
        const bool busy = std::any_of(flights.begin(), flights.end(), [&](const Flight& f) {
          const LonRequest& o = requests[f.request];
          return o.link == r.link && o.node == r.node && f.tid == tid;
        });
        if (!busy) break;
      }
      last_tid_[key] = tid;
      started[i] = 1;
      Flight flight{i, tid, 1, clock_.steady_now() + r.attempt_timeout};
      ++stats_.transactions;
      if (Status sent = send(flight); !sent) {
        finish(i, make_error(ErrorKind::kBusError, sent.error().message));
        continue;
      }
      ++per_node[key];
      flights.push_back(flight);
    }
    if (flights.empty()) {
      if (done < requests.size()) continue;  // the window loop starts more
      break;
    }

    SteadyTime earliest = flights.front().deadline;
    for (const auto& f : flights) earliest = std::min(earliest, f.deadline);
    if (!wait_readable(earliest)) {
      for (const auto& f : flights) {
        release(f);
        finish(f.request, make_error(ErrorKind::kBusError, "poll failed on the LON links"));
      }
      flights.clear();
      continue;
    }
    for (auto& arrived : drain_links()) {
      // Plain references: clang 14 cannot capture structured bindings in the lambda below.
      const std::size_t link = arrived.first;
      LonMessage& message = arrived.second;
      if (!addressed_to(message, config_.self)) {
        ++stats_.not_for_us;
        continue;
      }
      auto it = std::find_if(flights.begin(), flights.end(), [&](const Flight& f) {
        const LonRequest& r = requests[f.request];
        return r.link == link && message.source == r.node && message.transaction_id == f.tid &&
               message.service == reply_service(r.service);
      });
      if (it == flights.end()) {
        handle_unclaimed(link, message);
        continue;
      }
      release(*it);
      finish(it->request, LonReply{message.service, std::move(message.apdu), it->attempts});
      flights.erase(it);
    }
    const SteadyTime now = clock_.steady_now();
    for (auto it = flights.begin(); it != flights.end();) {
      if (it->deadline > now) {
        ++it;
        continue;
      }
      const LonRequest& r = requests[it->request];
      if (it->attempts <= r.retries) {
        ++it->attempts;
        ++stats_.retries;
        it->deadline = now + r.attempt_timeout;
        if (Status sent = send(*it); sent) {
          ++it;
          continue;
        }
      } else {
        ++stats_.timeouts;
      }
      release(*it);
      finish(it->request,
             make_error(ErrorKind::kTimeout,
                        "no " + std::string(to_string(reply_service(r.service))) + " from node " +
                            std::to_string(r.node.subnet) + "/" + std::to_string(r.node.node) +
                            " after " + std::to_string(it->attempts) + " attempts"));
      it = flights.erase(it);
    }
  }

  std::vector<Result<LonReply>> out;
  out.reserve(results.size());
  for (auto& result : results) {
    out.push_back(result ? std::move(*result)
                         : Result<LonReply>(make_error(ErrorKind::kInternal, "not run")));
  }
  return out;
}

Result<std::vector<LonMessage>> MessageLayer::broadcast_request(std::size_t link,
                                                                std::vector<std::uint8_t> apdu,
                                                                Millis window) {
  if (!open_ || link >= links_.size()) {
    return make_error(ErrorKind::kBusError, "the LON links are not open");
  }
  broadcast_tid_ = static_cast<std::uint8_t>(broadcast_tid_ % 15 + 1);
  LonMessage m;
  m.domain = config_.domain;
  m.source = config_.self;
  m.dest.kind = Destination::Kind::kBroadcast;
  m.dest.subnet = 0;
  m.service = Service::kRequest;
  m.transaction_id = broadcast_tid_;
  m.apdu = std::move(apdu);
  if (Status sent = links_[link]->send(m); !sent) return sent.error();
  std::vector<LonMessage> responses;
  const SteadyTime deadline = clock_.steady_now() + window;
  while (clock_.steady_now() < deadline) {
    if (!wait_readable(deadline)) break;
    for (auto& [from, message] : drain_links()) {
      if (from == link && addressed_to(message, config_.self) &&
          message.service == Service::kResponse && message.transaction_id == broadcast_tid_) {
        responses.push_back(std::move(message));
      } else if (addressed_to(message, config_.self)) {
        handle_unclaimed(from, message);
      }
    }
  }
  return responses;
}

std::vector<HeardIdentity> MessageLayer::take_service_pins() {
  return std::exchange(service_pins_, {});
}

}  // namespace meterd::lonworks
