// SPDX-License-Identifier: Apache-2.0
// The lifetime token of an engine part. Callbacks that outlive the part (store commits, bus
// actions; the engine is replaced on reload) run only while it lives. Loop thread, except
// that the function `later` returns may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <utility>

namespace meterd {

using LoopPost = std::function<void(std::function<void()>)>;  // onto the loop

class LoopLifetime {
 public:
  explicit LoopLifetime(LoopPost post) : post_(std::move(post)) {}
  LoopLifetime(const LoopLifetime&) = delete;
  LoopLifetime& operator=(const LoopLifetime&) = delete;

  const LoopPost& post() const { return post_; }

  // For the store thread: posts `fn` onto the loop, where it runs if the owner still lives.
  std::function<void()> later(std::function<void()> fn) const {
    return [post = post_, life = std::weak_ptr<char>(life_), fn = std::move(fn)]() mutable {
      post([life, fn = std::move(fn)] {
        if (!life.expired()) fn();
      });
    };
  }

  // Wraps a loop-thread callback: it does nothing once the owner is gone.
  template <typename Fn>
  auto alive(Fn fn) const {
    return [life = std::weak_ptr<char>(life_), fn = std::move(fn)](auto&&... args) mutable {
      if (!life.expired()) fn(std::forward<decltype(args)>(args)...);
    };
  }

 private:
  const LoopPost post_;
  std::shared_ptr<char> life_ = std::make_shared<char>();
};

}  // namespace meterd
