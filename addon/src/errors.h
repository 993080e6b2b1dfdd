// Native failures as JS errors carrying a string `code` (the errno name,
// e.g. "EPERM"), the number in `errno` and the failing call in `syscall`.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace tk {

// An Error for errno `err`; `message` defaults to strerror(err).
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall,
                       const std::string& message = std::string());

// The symbolic name of errno `err` ("EPERM"), or "E<number>".
std::string ErrnoName(int err);

// Throw a TypeError and return undefined, for argument re-checks.
Napi::Value ThrowTypeError(Napi::Env env, const std::string& message);

// Argument re-checks: the TypeScript wrapper validates with exact messages
// first; these only keep bad input away from libc. On failure they throw a
// TypeError naming argument i (counted from 1) and return false.
bool StringArg(const Napi::CallbackInfo& info, size_t i, std::string* out);
bool Uint32Arg(const Napi::CallbackInfo& info, size_t i, uint32_t* out);

}  // namespace tk
