// A promise settled from the libuv thread pool: blocking calls (NSS may
// ask a directory server; mount(2) may wait on a device) run off the JS
// thread.
#pragma once

#include <napi.h>

#include <functional>
#include <string>

#include "errors.h"

namespace tk {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  // `work` runs on a pool thread and returns 0 or a positive errno;
  // `done` turns its result into the resolved value on the JS thread.
  using Work = std::function<int()>;
  using Done = std::function<Napi::Value(Napi::Env)>;

  static Napi::Value Start(Napi::Env env, const char* syscall, Work work,
                           Done done) {
    PromiseWorker* w = new PromiseWorker(env, syscall, std::move(work),
                                         std::move(done));
    Napi::Value promise = w->deferred_.Promise();
    w->Queue();
    return promise;
  }

 protected:
  void Execute() override { error_ = work_(); }

  void OnOK() override {
    Napi::Env env = Env();
    if (error_ != 0) {
      deferred_.Reject(ErrnoError(env, error_, syscall_).Value());
    } else {
      deferred_.Resolve(done_(env));
    }
  }

 private:
  PromiseWorker(Napi::Env env, const char* syscall, Work work, Done done)
      : Napi::AsyncWorker(env, syscall),
        deferred_(Napi::Promise::Deferred::New(env)),
        syscall_(syscall),
        work_(std::move(work)),
        done_(std::move(done)) {}

  Napi::Promise::Deferred deferred_;
  const char* syscall_;
  Work work_;
  Done done_;
  int error_ = 0;
};

}  // namespace tk
