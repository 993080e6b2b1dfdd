// Native failures as JS errors carrying a string `code` (the errno name,
// e.g. "EPERM"), the number in `errno` and the failing call in `syscall`.
#pragma once

#include <napi.h>

#include <string>

namespace tk {

// An Error for errno `err`; `message` defaults to strerror(err).
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall,
                       const std::string& message = std::string());

// The symbolic name of errno `err` ("EPERM"), or "E<number>".
std::string ErrnoName(int err);

// Throw a TypeError and return undefined, for argument re-checks.
Napi::Value ThrowTypeError(Napi::Env env, const std::string& message);

}  // namespace tk
