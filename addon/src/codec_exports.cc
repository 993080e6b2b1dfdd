// The codec's entry points for tests (encode/decode of each struct, a
// whole POLICY_REQ message) and the header's constants, so that
// TypeScript never re-types them.
#include <errno.h>
#include <string.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "codec.h"
#include "crypt_codec.h"
#include "errors.h"
#include "netlink.h"

namespace tk {

namespace {

Napi::Object ExpectObject(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) {
    ThrowTypeError(info.Env(), "expected an object");
    return Napi::Object();
  }
  return info[0].As<Napi::Object>();
}

// info[0] as a Buffer of exactly `size` bytes, or nullptr (TypeError).
const uint8_t* ExpectBytes(const Napi::CallbackInfo& info, size_t size) {
  if (info.Length() < 1 || !info[0].IsBuffer()) {
    ThrowTypeError(info.Env(), "expected a Buffer");
    return nullptr;
  }
  Napi::Buffer<uint8_t> buf = info[0].As<Napi::Buffer<uint8_t>>();
  if (buf.Length() != size) {
    ThrowTypeError(info.Env(), "expected a " + std::to_string(size) +
                                   "-byte Buffer, got " +
                                   std::to_string(buf.Length()) + " bytes");
    return nullptr;
  }
  return buf.Data();
}

template <typename T>
Napi::Value ToBuffer(Napi::Env env, const T& value) {
  return Napi::Buffer<uint8_t>::Copy(
      env, reinterpret_cast<const uint8_t*>(&value), sizeof(value));
}

Napi::Value U64(Napi::Env env, __u64 v) {
  return Napi::BigInt::New(env, static_cast<uint64_t>(v));
}

// encode<Struct>(object) -> Buffer and decode<Struct>(Buffer) -> object,
// for host tests of the codec without a kernel.
Napi::Value EncodeRegister(const Napi::CallbackInfo& info) {
  Napi::Object obj = ExpectObject(info);
  takakrypt_register v = {};
  if (obj.IsEmpty() || !RegisterFromJs(obj, &v)) return info.Env().Undefined();
  return ToBuffer(info.Env(), v);
}

Napi::Value DecodeRegister(const Napi::CallbackInfo& info) {
  const uint8_t* p = ExpectBytes(info, sizeof(takakrypt_register));
  if (p == nullptr) return info.Env().Undefined();
  takakrypt_register v;
  memcpy(&v, p, sizeof(v));
  Napi::Object obj = Napi::Object::New(info.Env());
  obj.Set("protocolVersion", v.protocol_version);
  obj.Set("agentPid", v.agent_pid);
  obj.Set("flags", v.flags);
  obj.Set("reserved", v.reserved);
  return obj;
}

Napi::Value EncodeGeneration(const Napi::CallbackInfo& info) {
  Napi::Object obj = ExpectObject(info);
  takakrypt_generation v = {};
  if (obj.IsEmpty() || !GenerationFromJs(obj, &v))
    return info.Env().Undefined();
  return ToBuffer(info.Env(), v);
}

Napi::Value DecodeGeneration(const Napi::CallbackInfo& info) {
  const uint8_t* p = ExpectBytes(info, sizeof(takakrypt_generation));
  if (p == nullptr) return info.Env().Undefined();
  takakrypt_generation v;
  memcpy(&v, p, sizeof(v));
  Napi::Object obj = Napi::Object::New(info.Env());
  obj.Set("generation", U64(info.Env(), v.generation));
  obj.Set("maxCacheTtlMs", v.max_cache_ttl_ms);
  obj.Set("reserved", v.reserved);
  return obj;
}

Napi::Value EncodePolicyReq(const Napi::CallbackInfo& info) {
  Napi::Object obj = ExpectObject(info);
  takakrypt_policy_req v = {};
  if (obj.IsEmpty() || !PolicyReqFromJs(obj, &v)) return info.Env().Undefined();
  return ToBuffer(info.Env(), v);
}

Napi::Value DecodePolicyReq(const Napi::CallbackInfo& info) {
  const uint8_t* p = ExpectBytes(info, sizeof(takakrypt_policy_req));
  if (p == nullptr) return info.Env().Undefined();
  PolicyRequest req;
  memcpy(&req.fixed, p, sizeof(req.fixed));
  Napi::Object obj = PolicyRequestToJs(info.Env(), req);
  obj.Set("ngroups", req.fixed.ngroups);
  obj.Set("reserved", req.fixed.reserved);
  for (const char* key : {"groups", "exe", "guardPoint", "path", "policyName"})
    obj.Delete(key);
  return obj;
}

Napi::Value EncodePolicyReply(const Napi::CallbackInfo& info) {
  Napi::Object obj = ExpectObject(info);
  takakrypt_policy_reply v = {};
  if (obj.IsEmpty() || !PolicyReplyFromJs(obj, &v))
    return info.Env().Undefined();
  return ToBuffer(info.Env(), v);
}

Napi::Value DecodePolicyReply(const Napi::CallbackInfo& info) {
  const uint8_t* p = ExpectBytes(info, sizeof(takakrypt_policy_reply));
  if (p == nullptr) return info.Env().Undefined();
  takakrypt_policy_reply v;
  memcpy(&v, p, sizeof(v));
  Napi::Object obj = Napi::Object::New(info.Env());
  obj.Set("requestId", v.request_id);
  obj.Set("verdict", v.verdict);
  obj.Set("flags", v.flags);
  obj.Set("cacheTtlMs", v.cache_ttl_ms);
  return obj;
}

// decodeRequestMessage(Buffer): one whole netlink message (nlmsghdr,
// genlmsghdr, attributes) as the channel would deliver it; throws an
// Error with code EBADMSG saying what is wrong.
Napi::Value DecodeRequestMessage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer())
    return ThrowTypeError(env, "expected a Buffer");
  Napi::Buffer<uint8_t> buf = info[0].As<Napi::Buffer<uint8_t>>();
  const nlmsghdr* hdr = reinterpret_cast<const nlmsghdr*>(buf.Data());
  std::string why;
  PolicyRequest req;
  if (buf.Length() < NLMSG_HDRLEN + GENL_HDRLEN ||
      hdr->nlmsg_len != buf.Length()) {
    why = "message length does not match its header";
  } else {
    const genlmsghdr* genl =
        reinterpret_cast<const genlmsghdr*>(buf.Data() + NLMSG_HDRLEN);
    if (genl->cmd != TAKAKRYPT_CMD_POLICY_REQ) {
      why = "command " + std::to_string(genl->cmd) + " is not POLICY_REQ";
    } else if (DecodePolicyRequest(buf.Data() + NLMSG_HDRLEN + GENL_HDRLEN,
                                   buf.Length() - NLMSG_HDRLEN - GENL_HDRLEN,
                                   &req, &why)) {
      return PolicyRequestToJs(env, req);
    }
  }
  ErrnoError(env, EBADMSG, "recv", "malformed policy request: " + why)
      .ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Object NamedNumbers(
    Napi::Env env, std::initializer_list<std::pair<const char*, uint32_t>> l) {
  Napi::Object obj = Napi::Object::New(env);
  for (const auto& kv : l) obj.Set(kv.first, kv.second);
  return obj;
}

// The header's constants, so that TypeScript never re-types them.
Napi::Object Constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  c.Set("familyName", TAKAKRYPT_GENL_NAME);
  c.Set("genlVersion", TAKAKRYPT_GENL_VERSION);
  c.Set("protocolVersion", TAKAKRYPT_PROTOCOL_VERSION);
  c.Set("pathMax", TAKAKRYPT_PATH_MAX);
  c.Set("maxGroups", TAKAKRYPT_MAX_GROUPS);
  c.Set("maxCacheTtlMs", TAKAKRYPT_MAX_CACHE_TTL_MS);
  c.Set("actionCount", static_cast<uint32_t>(TAKAKRYPT_ACTION_COUNT));
  c.Set("commands", NamedNumbers(env, {
      {"REGISTER", TAKAKRYPT_CMD_REGISTER},
      {"UNREGISTER", TAKAKRYPT_CMD_UNREGISTER},
      {"SET_GENERATION", TAKAKRYPT_CMD_SET_GENERATION},
      {"POLICY_REQ", TAKAKRYPT_CMD_POLICY_REQ},
      {"POLICY_REPLY", TAKAKRYPT_CMD_POLICY_REPLY},
      {"CRYPT_REQ", TAKAKRYPT_CMD_CRYPT_REQ},
      {"CRYPT_REPLY", TAKAKRYPT_CMD_CRYPT_REPLY}}));
  c.Set("attributes", NamedNumbers(env, {
      {"REGISTER", TAKAKRYPT_A_REGISTER},
      {"GENERATION", TAKAKRYPT_A_GENERATION},
      {"POLICY_REQ", TAKAKRYPT_A_POLICY_REQ},
      {"GROUPS", TAKAKRYPT_A_GROUPS},
      {"EXE_PATH", TAKAKRYPT_A_EXE_PATH},
      {"GUARD_POINT", TAKAKRYPT_A_GUARD_POINT},
      {"PATH", TAKAKRYPT_A_PATH},
      {"POLICY_NAME", TAKAKRYPT_A_POLICY_NAME},
      {"POLICY_REPLY", TAKAKRYPT_A_POLICY_REPLY},
      {"CRYPT_REQ", TAKAKRYPT_A_CRYPT_REQ},
      {"CRYPT_REPLY", TAKAKRYPT_A_CRYPT_REPLY},
      {"DATA", TAKAKRYPT_A_DATA},
      {"FILE_HEADER", TAKAKRYPT_A_FILE_HEADER}}));
  c.Set("sizes", NamedNumbers(env, {
      {"register", sizeof(takakrypt_register)},
      {"generation", sizeof(takakrypt_generation)},
      {"policyReq", sizeof(takakrypt_policy_req)},
      {"policyReply", sizeof(takakrypt_policy_reply)},
      {"cryptReq", sizeof(takakrypt_crypt_req)},
      {"cryptReply", sizeof(takakrypt_crypt_reply)}}));
  c.Set("requestFlags", NamedNumbers(env, {{"DIR", TAKAKRYPT_REQ_F_DIR}}));
  c.Set("replyFlags", NamedNumbers(env, {
      {"APPLYKEY", TAKAKRYPT_REPLY_F_APPLYKEY},
      {"AUDIT", TAKAKRYPT_REPLY_F_AUDIT},
      {"ANY_OBJECT", TAKAKRYPT_REPLY_F_ANY_OBJECT}}));
  c.Set("verdicts", NamedNumbers(env, {
      {"DENY", TAKAKRYPT_VERDICT_DENY},
      {"PERMIT", TAKAKRYPT_VERDICT_PERMIT}}));
  return c;
}

}  // namespace

void InitCodec(Napi::Env env, Napi::Object exports) {
  Napi::Object codec = Napi::Object::New(env);
  codec.Set("encodeRegister", Napi::Function::New(env, EncodeRegister));
  codec.Set("decodeRegister", Napi::Function::New(env, DecodeRegister));
  codec.Set("encodeGeneration", Napi::Function::New(env, EncodeGeneration));
  codec.Set("decodeGeneration", Napi::Function::New(env, DecodeGeneration));
  codec.Set("encodePolicyReq", Napi::Function::New(env, EncodePolicyReq));
  codec.Set("decodePolicyReq", Napi::Function::New(env, DecodePolicyReq));
  codec.Set("encodePolicyReply", Napi::Function::New(env, EncodePolicyReply));
  codec.Set("decodePolicyReply", Napi::Function::New(env, DecodePolicyReply));
  codec.Set("decodeRequestMessage",
            Napi::Function::New(env, DecodeRequestMessage));
  Napi::Object constants = Constants(env);
  InitCryptCodec(env, codec, constants);
  exports.Set("codec", codec);
  exports.Set("constants", constants);
}

}  // namespace tk
