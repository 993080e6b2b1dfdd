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

bool StringArg(const Napi::CallbackInfo& info, size_t i, std::string* out) {
  if (info.Length() > i && info[i].IsString()) {
    *out = info[i].As<Napi::String>().Utf8Value();
    if (out->find('\0') == std::string::npos) return true;
  }
  ThrowTypeError(info.Env(), "expected argument " + std::to_string(i + 1) +
                                 " to be a string without NUL");
  return false;
}

bool Uint32Arg(const Napi::CallbackInfo& info, size_t i, uint32_t* out) {
  if (info.Length() > i && info[i].IsNumber()) {
    double d = info[i].As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 4294967295.0 && d == static_cast<uint32_t>(d)) {
      *out = static_cast<uint32_t>(d);
      return true;
    }
  }
  ThrowTypeError(info.Env(), "expected argument " + std::to_string(i + 1) +
                                 " to be a 32-bit unsigned integer");
  return false;
}

}  // namespace tk
