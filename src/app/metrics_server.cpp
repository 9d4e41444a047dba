// SPDX-License-Identifier: Apache-2.0
#include "app/metrics_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

#include "app/metrics_text.h"

namespace meterd {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct MetricsServer::State {
  State(asio::io_context& l, MetricsServerSettings s, std::function<std::string()> r)
      : loop(l), settings(std::move(s)), render(std::move(r)), acceptor(l) {}
  asio::io_context& loop;
  MetricsServerSettings settings;
  std::function<std::string()> render;
  tcp::acceptor acceptor;
  int active = 0;
  bool stopped = false;
  MetricsServerStats stats;
};

namespace {

using State = MetricsServer::State;

// One connection: read one request under the deadline, answer, close.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<State> state, tcp::socket socket)
      : state_(std::move(state)), stream_(std::move(socket)) {
    ++state_->active;
  }
  ~Session() { --state_->active; }

  void start() {
    parser_.header_limit(static_cast<std::uint32_t>(state_->settings.header_limit));
    parser_.body_limit(0);
    // The deadline covers the whole request: a client trickling bytes cannot extend it.
    stream_.expires_after(state_->settings.read_timeout);
    http::async_read(stream_, buffer_, parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->guarded([&] { self->on_read(ec); });
                     });
  }

 private:
  template <typename F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      spdlog::warn("metrics endpoint: {}", e.what());
      close();
    } catch (...) {
      close();
    }
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      ++state_->stats.bad_requests;
      if (ec == http::error::header_limit || ec == http::error::body_limit) {
        respond(http::status::request_header_fields_too_large, "request too large\n", "");
      } else if (ec != beast::error::timeout && ec != http::error::end_of_stream &&
                 ec != asio::error::eof && ec != asio::error::connection_reset &&
                 ec != asio::error::operation_aborted) {
        respond(http::status::bad_request, "bad request\n", "");
      } else {
        close();
      }
      return;
    }
    const auto& request = parser_.get();
    const std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      ++state_->stats.bad_requests;
      respond(http::status::method_not_allowed, "only GET\n", "");
    } else if (path != "/metrics") {
      ++state_->stats.bad_requests;
      respond(http::status::not_found, "not found; try /metrics\n", "");
    } else {
      ++state_->stats.scrapes;
      respond(http::status::ok, state_->render(), kOpenMetricsContentType,
              request.method() == http::verb::head);
    }
  }

  void respond(http::status status, std::string body, const char* content_type, bool head = false) {
    response_.result(status);
    response_.version(11);
    response_.set(http::field::server, "meterd");
    response_.set(http::field::content_type,
                  *content_type ? content_type : "text/plain; charset=utf-8");
    response_.keep_alive(false);
    response_.body() = std::move(body);
    response_.prepare_payload();
    if (head) response_.body().clear();
    stream_.expires_after(state_->settings.read_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, std::size_t) {
                        self->guarded([&] { self->close(); });
                      });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  std::shared_ptr<State> state_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{std::size_t{8} * 1024};
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> response_;
};

void accept_next(const std::shared_ptr<State>& state) {
  if (state->stopped) return;
  state->acceptor.async_accept([state](beast::error_code ec, tcp::socket socket) {
    try {
      if (state->stopped) return;
      if (!ec) {
        if (state->active >= state->settings.max_connections) {
          ++state->stats.refused_connections;
          beast::error_code ignored;
          socket.close(ignored);
        } else {
          std::make_shared<Session>(state, std::move(socket))->start();
        }
      } else if (ec == asio::error::operation_aborted) {
        return;
      }
    } catch (const std::exception& e) {
      spdlog::warn("metrics endpoint: {}", e.what());
    } catch (...) {
    }
    accept_next(state);
  });
}

}  // namespace

MetricsServer::MetricsServer(asio::io_context& loop, MetricsServerSettings settings,
                             std::function<std::string()> render)
    : state_(std::make_shared<State>(loop, std::move(settings), std::move(render))) {}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::start() {
  beast::error_code ec;
  const auto address = asio::ip::make_address(state_->settings.host, ec);
  if (ec) throw std::runtime_error("metrics: bad address '" + state_->settings.host + "'");
  const tcp::endpoint endpoint(address, state_->settings.port);
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("metrics: cannot listen on " + state_->settings.host + ":" +
                             std::to_string(state_->settings.port) + ": " + ec.message());
  }
  spdlog::info("metrics: serving http://{}:{}/metrics", state_->settings.host, port());
  accept_next(state_);
}

void MetricsServer::stop() {
  state_->stopped = true;
  beast::error_code ignored;
  state_->acceptor.close(ignored);
}

std::uint16_t MetricsServer::port() const {
  beast::error_code ec;
  const auto endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

MetricsServerStats MetricsServer::stats() const { return state_->stats; }

}  // namespace meterd
