// The struct codec: the packed structs of takakrypt.h to and from plain
// JS objects, and a POLICY_REQ message to a native request.
#pragma once

#include <napi.h>
#include <takakrypt.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tk {

// A decoded POLICY_REQ message (fixed part plus its attributes).
struct PolicyRequest {
  takakrypt_policy_req fixed;
  std::vector<uint32_t> groups;
  std::string exe;
  std::string guard_point;
  std::string path;
  std::string policy_name;
};

// Decode the generic netlink payload (attributes after the genl header)
// of a POLICY_REQ. On failure returns false and says why in `why`;
// `out->fixed.request_id` is set whenever the fixed part was readable, so
// that the request can still be denied.
bool DecodePolicyRequest(const uint8_t* attrs, size_t len, PolicyRequest* out,
                         std::string* why);

// The JS object for a decoded request.
Napi::Object PolicyRequestToJs(Napi::Env env, const PolicyRequest& req);

// Read field `key` of `obj` as a 32-bit unsigned integer; false (with a
// pending TypeError) otherwise.
bool GetU32(Napi::Object obj, const char* key, uint32_t* out);

// Read a struct from a JS object; false (with a pending TypeError) if a
// field is missing or of the wrong type.
bool RegisterFromJs(Napi::Object obj, takakrypt_register* out);
bool GenerationFromJs(Napi::Object obj, takakrypt_generation* out);
bool PolicyReqFromJs(Napi::Object obj, takakrypt_policy_req* out);
bool PolicyReplyFromJs(Napi::Object obj, takakrypt_policy_reply* out);

// Add the codec's test entry points (encode*/decode*) and the header's
// constants to `exports`.
void InitCodec(Napi::Env env, Napi::Object exports);

}  // namespace tk
