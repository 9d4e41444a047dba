// SPDX-License-Identifier: Apache-2.0
#include "app/backup_runner.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "local/local_request.h"
#include "store/store_backup.h"

namespace meterd {
namespace {

std::string reply_for(const Result<BackupSummary>& result) {
  if (!result.ok()) {
    const char* code =
        result.error().kind == ErrorKind::kInvalidArgument ? "bad_request" : "backup_failed";
    return local_error_line(code, result.error().message);
  }
  const BackupSummary& s = result.value();
  return nlohmann::json{{"backup", s.path},
                        {"bytes", s.bytes},
                        {"schema_version", s.schema_version},
                        {"last_seq", s.last_seq},
                        {"source_store_id", s.source_store_id},
                        {"store_id", s.store_id}}
      .dump();
}

}  // namespace

BackupRunner::BackupRunner(boost::asio::io_context& loop, std::string store_path)
    : loop_(loop), store_path_(std::move(store_path)) {}

BackupRunner::~BackupRunner() {
  if (worker_.joinable()) worker_.join();
}

void BackupRunner::start(std::string destination, Done done) {
  {
    std::lock_guard lock(mu_);
    if (running_) {
      done(local_error_line("busy", "a backup is already running"));
      return;
    }
    running_ = true;
  }
  if (worker_.joinable()) worker_.join();  // the previous one has finished
  worker_ = std::thread([this, destination = std::move(destination), done = std::move(done)] {
    std::string reply;
    try {
      const Result<BackupSummary> result = backup_store(store_path_, destination);
      if (result.ok()) {
        spdlog::info("backup: store copied to {} ({} bytes, through seq {}, new store_id {})",
                     destination, result.value().bytes, result.value().last_seq,
                     result.value().store_id);
      } else {
        spdlog::error("backup to {} failed: {}", destination, result.error().message);
      }
      reply = reply_for(result);
    } catch (const std::exception& e) {
      spdlog::error("backup to {} failed: {}", destination, e.what());
      reply = local_error_line("backup_failed", e.what());
    }
    {
      std::lock_guard lock(mu_);
      running_ = false;
    }
    boost::asio::post(loop_,
                      [done, reply = std::move(reply)]() mutable { done(std::move(reply)); });
  });
}

}  // namespace meterd
