// AES-256-XTS over a run of data units with one OpenSSL context per run,
// through the OpenSSL that node itself exports (node:crypto cannot change
// the tweak of an existing cipher, so it needs one cipher per unit).
#pragma once

#include <napi.h>

namespace tk {

// Adds xtsRun(key, firstUnit, unitSize, input, output, encrypt, zeroUnits)
// and xtsRunAsync(...same...) -> Promise<void> to `exports`.
void InitXtsRun(Napi::Env env, Napi::Object exports);

}  // namespace tk
