// The crypt codec's entry points for tests (fixed parts, whole CRYPT_REQ
// messages in, whole CRYPT_REPLY messages out) and the data path's
// constants from takakrypt.h.
#include <errno.h>
#include <string.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "crypt_codec.h"
#include "errors.h"

namespace tk {

namespace {

Napi::Value U64(Napi::Env env, __u64 v) {
  return Napi::BigInt::New(env, static_cast<uint64_t>(v));
}

// info[i] as a Buffer, or an empty one with a pending TypeError.
Napi::Buffer<uint8_t> BufferArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() > i && info[i].IsBuffer())
    return info[i].As<Napi::Buffer<uint8_t>>();
  ThrowTypeError(info.Env(), "expected a Buffer");
  return Napi::Buffer<uint8_t>();
}

Napi::Value EncodeCryptReq(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject())
    return ThrowTypeError(info.Env(), "expected an object");
  takakrypt_crypt_req v = {};
  if (!CryptReqFromJs(info[0].As<Napi::Object>(), &v))
    return info.Env().Undefined();
  return Napi::Buffer<uint8_t>::Copy(
      info.Env(), reinterpret_cast<const uint8_t*>(&v), sizeof(v));
}

Napi::Value DecodeCryptReq(const Napi::CallbackInfo& info) {
  Napi::Buffer<uint8_t> buf = BufferArg(info, 0);
  if (buf.IsEmpty()) return info.Env().Undefined();
  if (buf.Length() != sizeof(takakrypt_crypt_req))
    return ThrowTypeError(info.Env(), "expected a 40-byte Buffer, got " +
                                          std::to_string(buf.Length()) +
                                          " bytes");
  takakrypt_crypt_req v;
  memcpy(&v, buf.Data(), sizeof(v));
  Napi::Object obj = Napi::Object::New(info.Env());
  obj.Set("requestId", v.request_id);
  obj.Set("op", v.op);
  obj.Set("pid", v.pid);
  obj.Set("uid", v.uid);
  obj.Set("inode", U64(info.Env(), v.inode));
  obj.Set("firstUnit", U64(info.Env(), v.first_unit));
  obj.Set("length", v.length);
  obj.Set("reserved", v.reserved);
  return obj;
}

// decodeCryptReply(Buffer of 16) -> the fixed part of a reply.
Napi::Value DecodeCryptReply(const Napi::CallbackInfo& info) {
  Napi::Buffer<uint8_t> buf = BufferArg(info, 0);
  if (buf.IsEmpty()) return info.Env().Undefined();
  if (buf.Length() != sizeof(takakrypt_crypt_reply))
    return ThrowTypeError(info.Env(), "expected a 16-byte Buffer, got " +
                                          std::to_string(buf.Length()) +
                                          " bytes");
  takakrypt_crypt_reply v;
  memcpy(&v, buf.Data(), sizeof(v));
  Napi::Object obj = Napi::Object::New(info.Env());
  obj.Set("requestId", v.request_id);
  obj.Set("status", v.status);
  obj.Set("reason", v.reason);
  obj.Set("length", v.length);
  return obj;
}

// decodeCryptRequestMessage(Buffer): one whole netlink message as the
// channel receives it; throws an Error with code EBADMSG (and requestId
// when the id was readable) saying what is wrong.
Napi::Value DecodeCryptRequestMessage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> buf = BufferArg(info, 0);
  if (buf.IsEmpty()) return env.Undefined();
  const nlmsghdr* hdr = reinterpret_cast<const nlmsghdr*>(buf.Data());
  std::string why;
  CryptRequest req;
  if (buf.Length() < NLMSG_HDRLEN + GENL_HDRLEN ||
      hdr->nlmsg_len != buf.Length()) {
    why = "message length does not match its header";
  } else {
    const genlmsghdr* genl =
        reinterpret_cast<const genlmsghdr*>(buf.Data() + NLMSG_HDRLEN);
    if (genl->cmd != TAKAKRYPT_CMD_CRYPT_REQ) {
      why = "command " + std::to_string(genl->cmd) + " is not CRYPT_REQ";
    } else if (DecodeCryptRequest(buf.Data() + NLMSG_HDRLEN + GENL_HDRLEN,
                                  buf.Length() - NLMSG_HDRLEN - GENL_HDRLEN,
                                  &req, &why)) {
      return CryptRequestToJs(env, &req);
    }
  }
  Napi::Error err =
      ErrnoError(env, EBADMSG, "recv", "malformed crypt request: " + why);
  if (req.fixed.request_id != 0)
    err.Value().Set("requestId", req.fixed.request_id);
  err.ThrowAsJavaScriptException();
  return env.Undefined();
}

// encodeCryptReplyMessage(familyId, reply) -> the bytes the channel would
// send for `reply` (its parts joined), to check the layout in tests.
Napi::Value EncodeCryptReplyMessage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t family = 0;
  if (!Uint32Arg(info, 0, &family)) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsObject())
    return ThrowTypeError(env, "expected a reply object");
  CryptReplyMessage msg(static_cast<uint16_t>(family));
  if (!CryptReplyFromJs(info[1].As<Napi::Object>(), &msg))
    return env.Undefined();
  std::string bytes(reinterpret_cast<const char*>(msg.head.data()),
                    msg.head.size());
  for (const iovec& v : msg.parts)
    bytes.append(static_cast<const char*>(v.iov_base), v.iov_len);
  // The length field covers the parts, as the channel sets it.
  uint32_t total = static_cast<uint32_t>(bytes.size());
  memcpy(&bytes[0], &total, sizeof(total));
  return Napi::Buffer<uint8_t>::Copy(
      env, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

Napi::Object NamedNumbers(
    Napi::Env env, std::initializer_list<std::pair<const char*, uint32_t>> l) {
  Napi::Object obj = Napi::Object::New(env);
  for (const auto& kv : l) obj.Set(kv.first, kv.second);
  return obj;
}

}  // namespace

void InitCryptCodec(Napi::Env env, Napi::Object codec, Napi::Object c) {
  codec.Set("encodeCryptReq", Napi::Function::New(env, EncodeCryptReq));
  codec.Set("decodeCryptReq", Napi::Function::New(env, DecodeCryptReq));
  codec.Set("decodeCryptReply", Napi::Function::New(env, DecodeCryptReply));
  codec.Set("decodeCryptRequestMessage",
            Napi::Function::New(env, DecodeCryptRequestMessage));
  codec.Set("encodeCryptReplyMessage",
            Napi::Function::New(env, EncodeCryptReplyMessage));
  c.Set("dataUnitSize", TAKAKRYPT_DATA_UNIT_SIZE);
  c.Set("fileHeaderSize", TAKAKRYPT_FILE_HEADER_SIZE);
  c.Set("maxRunUnits", TAKAKRYPT_MAX_RUN_UNITS);
  c.Set("cryptOps", NamedNumbers(env, {
      {"NEW_HEADER", TAKAKRYPT_CRYPT_NEW_HEADER},
      {"OPEN_HEADER", TAKAKRYPT_CRYPT_OPEN_HEADER},
      {"ENCRYPT", TAKAKRYPT_CRYPT_ENCRYPT},
      {"DECRYPT", TAKAKRYPT_CRYPT_DECRYPT}}));
  c.Set("cryptReasons", NamedNumbers(env, {
      {"NONE", TAKAKRYPT_CRYPT_R_NONE},
      {"NOT_ENCRYPTED", TAKAKRYPT_CRYPT_R_NOT_ENCRYPTED},
      {"HEADER_INVALID", TAKAKRYPT_CRYPT_R_HEADER_INVALID},
      {"HEADER_TAMPERED", TAKAKRYPT_CRYPT_R_HEADER_TAMPERED},
      {"KEY_MISSING", TAKAKRYPT_CRYPT_R_KEY_MISSING},
      {"NO_KEY_RULE", TAKAKRYPT_CRYPT_R_NO_KEY_RULE},
      {"BAD_REQUEST", TAKAKRYPT_CRYPT_R_BAD_REQUEST},
      {"INTERNAL", TAKAKRYPT_CRYPT_R_INTERNAL}}));
}

}  // namespace tk
