// HMAC and HKDF (RFC 5869) through the OpenSSL that node itself exports,
// one native call each.
#pragma once

#include <napi.h>

namespace tk {

// Adds hmac(hash, key, data) -> Buffer and
// hkdf(hash, ikm, salt, infos, lengths) -> Buffer[] to `exports`.
void InitKdf(Napi::Env env, Napi::Object exports);

}  // namespace tk
