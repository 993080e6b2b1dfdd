// The struct codec between takakrypt.h and plain JS objects, and the
// decoder of POLICY_REQ messages.
#include "codec.h"

#include <string.h>

#include <cstddef>
#include <limits>
#include <type_traits>

#include "errors.h"
#include "netlink.h"

namespace tk {

// The layouts this file reads and writes; a change in the header that
// moves a field must fail the build here too, not corrupt the wire.
static_assert(sizeof(takakrypt_register) == 16, "register size");
static_assert(offsetof(takakrypt_register, agent_pid) == 4, "register.pid");
static_assert(offsetof(takakrypt_register, reserved) == 12, "register.rsv");
static_assert(sizeof(takakrypt_generation) == 16, "generation size");
static_assert(offsetof(takakrypt_generation, max_cache_ttl_ms) == 8,
              "generation.max_cache_ttl_ms");
static_assert(sizeof(takakrypt_policy_req) == 48, "policy_req size");
static_assert(offsetof(takakrypt_policy_req, action) == 16, "req.action");
static_assert(offsetof(takakrypt_policy_req, ngroups) == 24, "req.ngroups");
static_assert(offsetof(takakrypt_policy_req, inode) == 32, "req.inode");
static_assert(offsetof(takakrypt_policy_req, generation) == 40, "req.gen");
static_assert(sizeof(takakrypt_policy_reply) == 16, "policy_reply size");
static_assert(offsetof(takakrypt_policy_reply, verdict) == 4, "reply.verdict");
static_assert(offsetof(takakrypt_policy_reply, cache_ttl_ms) == 12,
              "reply.cache_ttl_ms");
static_assert(alignof(takakrypt_policy_req) == 1, "packed");

// Read field `key` of `obj` as a 32-bit unsigned integer.
bool GetU32(Napi::Object obj, const char* key, uint32_t* out) {
  Napi::Value v = obj.Get(key);
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= std::numeric_limits<uint32_t>::max() &&
        d == static_cast<double>(static_cast<uint32_t>(d))) {
      *out = static_cast<uint32_t>(d);
      return true;
    }
  }
  ThrowTypeError(obj.Env(), std::string("expected `") + key +
                                "` to be a 32-bit unsigned integer");
  return false;
}

namespace {

// Read field `key` of `obj` as a 64-bit unsigned integer (a bigint, or
// a number that is a safe integer).
bool GetU64(Napi::Object obj, const char* key, uint64_t* out) {
  Napi::Value v = obj.Get(key);
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t value = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (lossless) {
      *out = value;
      return true;
    }
  } else if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 9007199254740991.0 &&
        d == static_cast<double>(static_cast<uint64_t>(d))) {
      *out = static_cast<uint64_t>(d);
      return true;
    }
  }
  ThrowTypeError(obj.Env(), std::string("expected `") + key +
                                "` to be a 64-bit unsigned integer");
  return false;
}

Napi::Value U64(Napi::Env env, __u64 v) {
  return Napi::BigInt::New(env, static_cast<uint64_t>(v));
}

// A NUL-terminated string attribute; false if the NUL is missing.
bool TakeString(const NlAttr& a, std::string* out) {
  if (a.len == 0 || a.data[a.len - 1] != '\0') return false;
  const char* s = reinterpret_cast<const char*>(a.data);
  if (strlen(s) != a.len - 1) return false;
  out->assign(s, a.len - 1);
  return true;
}

const char* kStringAttrNames[] = {nullptr, nullptr, nullptr, nullptr,
                                  nullptr, "exe path", "guard point",
                                  "path", "policy name"};

// Check the fixed part of a request.
bool CheckFixed(const takakrypt_policy_req& f, std::string* why) {
  if (f.request_id == 0) {
    *why = "request id is 0";
  } else if (f.action >= TAKAKRYPT_ACTION_COUNT) {
    *why = "action " + std::to_string(f.action) + " is unknown";
  } else if (f.flags & ~TAKAKRYPT_REQ_F_ALL) {
    *why = "flags " + std::to_string(f.flags) + " has unknown bits";
  } else if (f.ngroups > TAKAKRYPT_MAX_GROUPS) {
    *why = "ngroups " + std::to_string(f.ngroups) + " exceeds the limit";
  } else {
    return true;
  }
  return false;
}

// Store one attribute of a request; false (with `why`) if malformed.
bool TakeAttr(const NlAttr& a, PolicyRequest* out, bool* have_fixed,
              std::string* why) {
  switch (a.type) {
    case TAKAKRYPT_A_POLICY_REQ:
      if (a.len != sizeof(out->fixed)) {
        *why = "policy request attribute has " + std::to_string(a.len) +
               " bytes, expected " + std::to_string(sizeof(out->fixed));
        return false;
      }
      memcpy(&out->fixed, a.data, sizeof(out->fixed));
      *have_fixed = true;
      return true;
    case TAKAKRYPT_A_GROUPS:
      if (a.len % sizeof(uint32_t) != 0) {
        *why = "groups attribute length " + std::to_string(a.len) +
               " is not a multiple of 4";
        return false;
      }
      out->groups.resize(a.len / sizeof(uint32_t));
      if (a.len > 0) memcpy(out->groups.data(), a.data, a.len);
      return true;
    case TAKAKRYPT_A_EXE_PATH:
    case TAKAKRYPT_A_GUARD_POINT:
    case TAKAKRYPT_A_PATH:
    case TAKAKRYPT_A_POLICY_NAME: {
      std::string* dst = a.type == TAKAKRYPT_A_EXE_PATH ? &out->exe
                         : a.type == TAKAKRYPT_A_GUARD_POINT ? &out->guard_point
                         : a.type == TAKAKRYPT_A_PATH ? &out->path
                                                     : &out->policy_name;
      if (TakeString(a, dst)) return true;
      *why = std::string(kStringAttrNames[a.type]) +
             " attribute is not a NUL-terminated string";
      return false;
    }
    default:
      return true;  // newer kernels may add attributes
  }
}

}  // namespace

bool DecodePolicyRequest(const uint8_t* attrs, size_t len, PolicyRequest* out,
                         std::string* why) {
  std::vector<NlAttr> list;
  memset(&out->fixed, 0, sizeof(out->fixed));
  if (!ParseAttrs(attrs, len, &list)) {
    *why = "attributes are malformed";
    return false;
  }
  bool have_fixed = false, have_guard = false, have_path = false;
  for (const NlAttr& a : list) {
    if (!TakeAttr(a, out, &have_fixed, why)) return false;
    have_guard |= a.type == TAKAKRYPT_A_GUARD_POINT;
    have_path |= a.type == TAKAKRYPT_A_PATH;
  }
  if (!have_fixed) {
    *why = "policy request attribute is missing";
    return false;
  }
  if (!CheckFixed(out->fixed, why)) return false;
  if (out->groups.size() != out->fixed.ngroups) {
    *why = "ngroups is " + std::to_string(out->fixed.ngroups) + " but " +
           std::to_string(out->groups.size()) + " groups came";
    return false;
  }
  if (!have_guard || !have_path) {
    *why = have_guard ? "path attribute is missing"
                      : "guard point attribute is missing";
    return false;
  }
  return true;
}

Napi::Object PolicyRequestToJs(Napi::Env env, const PolicyRequest& req) {
  const takakrypt_policy_req& f = req.fixed;
  Napi::Object obj = Napi::Object::New(env);
  obj.Set("requestId", f.request_id);
  obj.Set("pid", f.pid);
  obj.Set("uid", f.uid);
  obj.Set("gid", f.gid);
  obj.Set("action", f.action);
  obj.Set("flags", f.flags);
  obj.Set("inode", U64(env, f.inode));
  obj.Set("generation", U64(env, f.generation));
  Napi::Array groups = Napi::Array::New(env, req.groups.size());
  for (size_t i = 0; i < req.groups.size(); i++) {
    groups.Set(static_cast<uint32_t>(i), req.groups[i]);
  }
  obj.Set("groups", groups);
  obj.Set("exe", req.exe);
  obj.Set("guardPoint", req.guard_point);
  obj.Set("path", req.path);
  obj.Set("policyName", req.policy_name);
  return obj;
}

// Fields of packed structs have no address to hand out, hence a copy.
#define TK_FIELD(getter, obj, key, field) \
  do {                                    \
    std::conditional_t<sizeof(field) == 8, uint64_t, uint32_t> value_ = 0; \
    if (!getter(obj, key, &value_)) return false; \
    field = value_;                       \
  } while (0)

bool RegisterFromJs(Napi::Object obj, takakrypt_register* out) {
  TK_FIELD(GetU32, obj, "protocolVersion", out->protocol_version);
  TK_FIELD(GetU32, obj, "agentPid", out->agent_pid);
  TK_FIELD(GetU32, obj, "flags", out->flags);
  TK_FIELD(GetU32, obj, "reserved", out->reserved);
  return true;
}

bool GenerationFromJs(Napi::Object obj, takakrypt_generation* out) {
  TK_FIELD(GetU64, obj, "generation", out->generation);
  TK_FIELD(GetU32, obj, "maxCacheTtlMs", out->max_cache_ttl_ms);
  TK_FIELD(GetU32, obj, "reserved", out->reserved);
  return true;
}

bool PolicyReqFromJs(Napi::Object obj, takakrypt_policy_req* out) {
  TK_FIELD(GetU32, obj, "requestId", out->request_id);
  TK_FIELD(GetU32, obj, "pid", out->pid);
  TK_FIELD(GetU32, obj, "uid", out->uid);
  TK_FIELD(GetU32, obj, "gid", out->gid);
  TK_FIELD(GetU32, obj, "action", out->action);
  TK_FIELD(GetU32, obj, "flags", out->flags);
  TK_FIELD(GetU32, obj, "ngroups", out->ngroups);
  TK_FIELD(GetU32, obj, "reserved", out->reserved);
  TK_FIELD(GetU64, obj, "inode", out->inode);
  TK_FIELD(GetU64, obj, "generation", out->generation);
  return true;
}

bool PolicyReplyFromJs(Napi::Object obj, takakrypt_policy_reply* out) {
  TK_FIELD(GetU32, obj, "requestId", out->request_id);
  TK_FIELD(GetU32, obj, "verdict", out->verdict);
  TK_FIELD(GetU32, obj, "flags", out->flags);
  TK_FIELD(GetU32, obj, "cacheTtlMs", out->cache_ttl_ms);
  return true;
}

#undef TK_FIELD

}  // namespace tk
