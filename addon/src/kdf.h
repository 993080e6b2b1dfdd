// HMAC and HKDF (RFC 5869) through the OpenSSL that node itself exports,
// one native call each.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace tk {

// One HKDF output: `length` bytes for `info`, written to `out`.
struct HkdfOutput {
  const uint8_t* info;
  size_t info_len;
  size_t length;
  uint8_t* out;
};

// HKDF-SHA-512 (RFC 5869) of `ikm` with `salt`, one expand per output (at
// most 16, infos of at most 1024 bytes). False if an argument is out of
// range or OpenSSL failed; the outputs may then hold part of a key and
// the caller wipes them.
bool HkdfSha512(const uint8_t* ikm, size_t ikm_len, const uint8_t* salt,
                size_t salt_len, const HkdfOutput* outputs, size_t count);

// HMAC-SHA-256 of [data, data + len) under `key` into `out`.
bool HmacSha256(const uint8_t* key, size_t key_len, const uint8_t* data,
                size_t len, uint8_t out[32]);

// Adds hmac(hash, key, data) -> Buffer and
// hkdf(hash, ikm, salt, infos, lengths) -> Buffer[] to `exports`.
void InitKdf(Napi::Env env, Napi::Object exports);

}  // namespace tk
