// Entry point of the takakrypt addon: the netlink channel, the struct
// codec, NSS look-ups, mount(2)/umount2(2), the XTS, HMAC and HKDF
// primitives of the data path, and the table of file keys the channel
// answers data requests with.
#include <napi.h>

#include "channel.h"
#include "codec.h"
#include "data_path.h"
#include "kdf.h"
#include "xts_run.h"

namespace tk {
void InitNss(Napi::Env env, Napi::Object exports);
void InitMounts(Napi::Env env, Napi::Object exports);
}  // namespace tk

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Channel", tk::Channel::Define(env));
  tk::InitCodec(env, exports);
  tk::InitNss(env, exports);
  tk::InitMounts(env, exports);
  tk::InitXtsRun(env, exports);
  tk::InitKdf(env, exports);
  tk::InitDataPath(env, exports, exports.Get("codec").As<Napi::Object>());
  return exports;
}

NODE_API_MODULE(takakrypt, Init)
