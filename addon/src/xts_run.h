// AES-256-XTS over a run of data units with one OpenSSL context per run,
// through the OpenSSL that node itself exports (node:crypto cannot change
// the tweak of an existing cipher, so it needs one cipher per unit).
#pragma once

#include <napi.h>
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>

namespace tk {

// The data path's ciphers, fetched from OpenSSL once (null if missing).
enum class Aes { kXts, kEcb };
const EVP_CIPHER* FetchedCipher(Aes which);

// True when the n bytes at p are all zero.
bool IsZero(const uint8_t* p, size_t n);

// An AES-256-XTS context with the 64-byte `key` set up, or null (OpenSSL's
// error is left queued).
EVP_CIPHER_CTX* NewXtsContext(const uint8_t* key, bool encrypt);

// One data unit of n >= 16 bytes under tweak (lo, hi) from `in` to `out`
// (the same memory or apart); with `zero_units`, format v1's zero-unit
// rule. False when OpenSSL fails (its error is left queued).
bool XtsUnit(EVP_CIPHER_CTX* ctx, uint64_t lo, uint64_t hi,
             const uint8_t* in, uint8_t* out, size_t n, bool zero_units);

// Adds xtsRun(key, firstUnit, unitSize, input, output, encrypt, zeroUnits)
// and xtsRunAsync(...same...) -> Promise<void> to `exports`.
void InitXtsRun(Napi::Env env, Napi::Object exports);

}  // namespace tk
