// Native failures as JS errors with a string code.
#include "errors.h"

#include <string.h>

namespace tk {

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  if (name != nullptr) return name;
  return "E" + std::to_string(err);
}

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall,
                       const std::string& message) {
  std::string text = message.empty() ? strerror(err) : message;
  Napi::Error error = Napi::Error::New(env, text);
  Napi::Object obj = error.Value();
  obj.Set("code", Napi::String::New(env, ErrnoName(err)));
  obj.Set("errno", Napi::Number::New(env, err));
  obj.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

Napi::Value ThrowTypeError(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace tk
