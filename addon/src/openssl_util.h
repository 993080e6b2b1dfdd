// What the addon's crypto entry points share: OpenSSL's queued failure as
// a message and as a JavaScript error with code EOPENSSL, and the byte
// views they accept (a Buffer or other Uint8Array, nothing reinterpreted).
#pragma once

#include <napi.h>
#include <openssl/err.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace tk {

// The reason OpenSSL queued on this thread, as "<what> failed: <reason>";
// the queue is left empty so node:crypto never sees a stale error.
inline std::string TakeOpenSslError(const char* what) {
  char reason[256] = "no reason given";
  unsigned long err = ERR_get_error();
  if (err != 0) ERR_error_string_n(err, reason, sizeof(reason));
  ERR_clear_error();
  return std::string(what) + " failed: " + reason;
}

inline Napi::Error OpenSslError(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Value().Set("code", Napi::String::New(env, "EOPENSSL"));
  return error;
}

// A Uint8Array's bytes (a Buffer is one); other views are refused.
struct Bytes {
  uint8_t* data = nullptr;
  size_t length = 0;
};

inline bool AsBytes(Napi::Value v, Bytes* out) {
  if (!v.IsTypedArray() ||
      v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    return false;
  }
  auto array = v.As<Napi::Uint8Array>();
  out->data = array.Data();
  out->length = array.ByteLength();
  return true;
}

}  // namespace tk
