// SPDX-License-Identifier: Apache-2.0
#include "local/local_control_server.h"

#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <istream>
#include <iterator>
#include <stdexcept>

#include "commands/command_service.h"
#include "core/json_text.h"
#include "local/local_request.h"

namespace meterd {
namespace asio = boost::asio;
using local_stream = asio::local::stream_protocol;
using json = nlohmann::json;

namespace {

constexpr std::size_t kMaxLine = std::size_t{64} * 1024;  // bytes before the newline
constexpr std::size_t kMaxSessions = 64;

// "local:<user name>" for the peer of `fd`, "local:uid<N>" when the uid has no name.
std::string peer_operator(int fd) {
  ucred cred{};
  socklen_t length = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return "local:unknown";
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(cred.uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found) {
    return std::string("local:") + found->pw_name;
  }
  return "local:uid" + std::to_string(cred.uid);
}

bool is_final(const std::string& state) {
  return state == "done" || state == "failed" || state == "cancelled";
}

}  // namespace

std::optional<std::string> local_socket_path(const LocalConfig& local,
                                             const char* runtime_directory) {
  if (!local.enabled) return std::nullopt;
  if (!local.socket.empty()) return local.socket;
  if (!runtime_directory || !*runtime_directory) return std::nullopt;
  std::string dir(runtime_directory);
  if (auto colon = dir.find(':'); colon != std::string::npos) dir.resize(colon);
  if (dir.empty()) return std::nullopt;
  return dir + "/meterd.sock";
}

struct LocalControlServer::State {
  State(asio::io_context& loop, std::string path, std::chrono::milliseconds timeout, Hooks hooks)
      : loop(loop), path(std::move(path)), timeout(timeout), hooks(std::move(hooks)) {}
  asio::io_context& loop;
  std::string path;
  std::chrono::milliseconds timeout;
  Hooks hooks;
  local_stream::acceptor acceptor{loop};
  bool listening = false;
  std::map<const Session*, std::weak_ptr<Session>> sessions;
  std::multimap<std::string, std::weak_ptr<Session>> waiting;  // command id -> sessions
};

// One client connection: read a line, answer it, read the next.
class LocalControlServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(LocalControlServer& server, local_stream::socket socket)
      : server_(&server),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        input_(kMaxLine + 1),
        operator_(peer_operator(socket_.native_handle())) {}

  const std::string& operator_id() const { return operator_; }

  void read_next() {
    asio::async_read_until(socket_, input_, '\n',
                           [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                             self->on_line(ec);
                           });
  }

  // The final result of the command this session waits for.
  void deliver(const std::string& id, const json& body) {
    if (awaiting_ != id) return;
    awaiting_.reset();
    timer_.cancel();
    reply(json_text(body));
  }

  void close() {
    server_ = nullptr;
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

 private:
  void on_line(boost::system::error_code ec) {
    if (!server_) return;
    if (ec) {
      if (ec == asio::error::not_found) {
        spdlog::warn("local control: {} sent a line over {} bytes; closing", operator_, kMaxLine);
        boost::system::error_code ignored;
        asio::write(socket_,
                    asio::buffer(local_error_line("too_large", "request line over 64 KiB") + "\n"),
                    ignored);
      }
      return finish();
    }
    std::istream in(&input_);
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    handle(line);
  }

  void handle(const std::string& line) {
    const LocalRequest request = read_local_request(line);
    if (request.kind == LocalRequest::Kind::kRefused) return reply(request.refusal);
    if (is_report(request)) return report(request);
    if (request.kind == LocalRequest::Kind::kBackup) return backup(request.backup_path);
    CommandService* service = server_->state_->hooks.commands();
    if (!service) {
      return reply(local_error_line("unavailable", "commands are suspended (see the log)"));
    }
    if (request.id) {
      awaiting_ = *request.id;
      server_->await_result(*request.id, shared_from_this());
      timer_.expires_after(server_->state_->timeout);
      timer_.async_wait([self = shared_from_this(), id = *request.id](boost::system::error_code e) {
        if (!e) self->on_timeout(id);
      });
    }
    spdlog::info("local control: command {} from {}", request.id.value_or("(no id)"), operator_);
    service->on_message(request.command, operator_);
    if (!request.id) reply(request.refusal);
  }

  void report(const LocalRequest& request) {
    const auto& hook = server_->state_->hooks.report;
    if (!hook) return reply(local_error_line("unavailable", "this meterd has no reports"));
    hook(request, [self = shared_from_this()](std::string line) {
      if (self->server_) self->reply(std::move(line));
    });
  }

  void backup(const std::string& path) {
    const auto& hook = server_->state_->hooks.backup;
    if (!hook) return reply(local_error_line("unavailable", "this meterd cannot take backups"));
    spdlog::info("local control: backup of the store to {} requested by {}", path, operator_);
    hook(path, [self = shared_from_this()](std::string line) {
      if (self->server_) self->reply(std::move(line));
    });
  }

  void on_timeout(const std::string& id) {
    if (!server_ || awaiting_ != id) return;
    awaiting_.reset();
    server_->forget(id, this);
    reply(json{{"error", "timeout"},
               {"id", id},
               {"message",
                "no final result yet; it is journaled and may still finish: "
                "ask with get_result"}}
              .dump());
  }

  void reply(std::string text) {
    output_ = std::move(text) + "\n";
    asio::async_write(socket_, asio::buffer(output_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (!self->server_) return;
                        if (ec) return self->finish();
                        self->read_next();
                      });
  }

  void finish() {
    if (!server_) return;
    LocalControlServer* server = server_;
    if (awaiting_) server->forget(*awaiting_, this);
    close();
    server->closed(this);
  }

  LocalControlServer* server_;  // null once closed
  local_stream::socket socket_;
  asio::steady_timer timer_;
  asio::streambuf input_;
  std::string output_;
  std::optional<std::string> awaiting_;
  const std::string operator_;
};

LocalControlServer::LocalControlServer(asio::io_context& loop, std::string socket_path,
                                       std::chrono::milliseconds command_timeout, Hooks hooks)
    : state_(std::make_unique<State>(loop, std::move(socket_path), command_timeout,
                                     std::move(hooks))) {}

LocalControlServer::~LocalControlServer() { stop(); }

void LocalControlServer::start() {
  const std::string& path = state_->path;
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0) {
    if (!S_ISSOCK(info.st_mode)) {
      throw std::runtime_error("local control socket " + path + " exists and is not a socket");
    }
    // Another meterd still listening there keeps it; a stale file from a crash goes.
    local_stream::socket probe(state_->loop);
    boost::system::error_code ec;
    probe.connect(local_stream::endpoint(path), ec);
    if (!ec) throw std::runtime_error("local control socket " + path + " is in use");
    ::unlink(path.c_str());
  }
  boost::system::error_code ec;
  state_->acceptor.open(local_stream(), ec);
  if (!ec) state_->acceptor.bind(local_stream::endpoint(path), ec);
  if (!ec && ::chmod(path.c_str(), 0660) != 0) {
    ec.assign(errno, boost::system::system_category());
  }
  if (!ec) state_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    state_->acceptor.close();
    throw std::runtime_error("local control socket " + path + ": " + ec.message());
  }
  state_->listening = true;
  spdlog::info("local control socket {} (meterctl)", path);
  accept_next();
}

void LocalControlServer::stop() {
  if (!state_->listening) return;
  state_->listening = false;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  auto sessions = std::move(state_->sessions);
  for (auto& [raw, weak] : sessions) {
    if (auto session = weak.lock()) session->close();
  }
  state_->waiting.clear();
  ::unlink(state_->path.c_str());
}

void LocalControlServer::accept_next() {
  state_->acceptor.async_accept([this](boost::system::error_code ec, local_stream::socket socket) {
    if (!state_->listening) return;
    if (ec) {
      spdlog::warn("local control: accept failed: {}", ec.message());
    } else if (state_->sessions.size() >= kMaxSessions) {
      boost::system::error_code ignored;
      asio::write(socket,
                  asio::buffer(local_error_line("busy", "too many local connections") + "\n"),
                  ignored);
    } else {
      auto session = std::make_shared<Session>(*this, std::move(socket));
      state_->sessions[session.get()] = session;
      session->read_next();
    }
    accept_next();
  });
}

void LocalControlServer::on_result(const std::string& id, const json& body) {
  if (!is_final(body.value("state", ""))) return;
  auto [first, last] = state_->waiting.equal_range(id);
  std::vector<std::shared_ptr<Session>> sessions;
  for (auto it = first; it != last; ++it) {
    if (auto session = it->second.lock()) sessions.push_back(std::move(session));
  }
  state_->waiting.erase(first, last);
  for (auto& session : sessions) session->deliver(id, body);
}

void LocalControlServer::await_result(const std::string& id,
                                      const std::shared_ptr<Session>& session) {
  state_->waiting.emplace(id, session);
}

void LocalControlServer::forget(const std::string& id, const Session* session) {
  auto [first, last] = state_->waiting.equal_range(id);
  for (auto it = first; it != last;) {
    auto held = it->second.lock();
    it = (!held || held.get() == session) ? state_->waiting.erase(it) : std::next(it);
  }
}

void LocalControlServer::closed(const Session* session) { state_->sessions.erase(session); }

}  // namespace meterd
