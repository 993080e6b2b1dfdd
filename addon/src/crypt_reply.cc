// The data path's replies: a CRYPT_REPLY laid out as pieces pointing into
// the JS Buffers it answers with, and the fixed part of a CRYPT_REQ for the
// codec's test entry points.
#include <string.h>

#include <limits>

#include "codec.h"
#include "crypt_codec.h"
#include "errors.h"

namespace tk {

namespace {

constexpr size_t kUnit = TAKAKRYPT_DATA_UNIT_SIZE;
constexpr size_t kMaxRunBytes = TAKAKRYPT_MAX_RUN_UNITS * kUnit;
constexpr uint8_t kPadding[NLA_ALIGNTO] = {0, 0, 0, 0};
// The most attributes after the fixed part: a run's units, or a new
// file's header and its spares (a header also goes with a run's units).
constexpr size_t kMaxParts =
    TAKAKRYPT_MAX_RUN_UNITS + 1 > 1 + TAKAKRYPT_MAX_SPARE_HEADERS
        ? TAKAKRYPT_MAX_RUN_UNITS + 1
        : 1 + TAKAKRYPT_MAX_SPARE_HEADERS;

}  // namespace

CryptReplyMessage::CryptReplyMessage(uint16_t family)
    : head(family, NLM_F_REQUEST, TAKAKRYPT_CMD_CRYPT_REPLY,
           TAKAKRYPT_GENL_VERSION) {
  // iovecs point at these headers: no reallocation once laid out.
  attr_headers.reserve(kMaxParts);
}

void CryptReplyMessage::Seal() {
  size_t extra = 0;
  for (const iovec& v : parts) extra += v.iov_len;
  head.AddLength(extra);
}

namespace {

// One attribute as three iovecs: its header, the caller's bytes, padding.
void AddPart(CryptReplyMessage* m, uint16_t type, const uint8_t* p,
             size_t len) {
  m->attr_headers.push_back(
      {static_cast<uint16_t>(NLA_HDRLEN + len), type});
  m->parts.push_back({&m->attr_headers.back(), NLA_HDRLEN});
  m->parts.push_back({const_cast<uint8_t*>(p), len});
  size_t pad = NLA_ALIGN(len) - len;
  if (pad > 0) m->parts.push_back({const_cast<uint8_t*>(kPadding), pad});
}

// Optional Buffer field `key`, already read as `v`: absent (null data) or
// `min` to `max` bytes. Runs no JavaScript.
bool GetBytes(Napi::Env env, Napi::Value v, const char* key, size_t min,
              size_t max, const uint8_t** data, size_t* len) {
  *data = nullptr;
  *len = 0;
  if (v.IsUndefined()) return true;
  if (v.IsBuffer()) {
    Napi::Buffer<uint8_t> b = v.As<Napi::Buffer<uint8_t>>();
    if (b.Length() >= min && b.Length() <= max) {
      *data = b.Data();
      *len = b.Length();
      return true;
    }
  }
  ThrowTypeError(env, std::string("expected `") + key +
                          "` to be a Buffer of " + std::to_string(min) +
                          " to " + std::to_string(max) + " bytes");
  return false;
}

bool GetI32(Napi::Object obj, const char* key, int32_t* out) {
  Napi::Value v = obj.Get(key);
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (d >= std::numeric_limits<int32_t>::min() &&
        d <= std::numeric_limits<int32_t>::max() &&
        d == static_cast<double>(static_cast<int32_t>(d))) {
      *out = static_cast<int32_t>(d);
      return true;
    }
  }
  ThrowTypeError(obj.Env(), std::string("expected `") + key +
                                "` to be a 32-bit signed integer");
  return false;
}

}  // namespace

bool CryptReplyFromJs(Napi::Object obj, CryptReplyMessage* out,
                      uint32_t* request_id) {
  takakrypt_crypt_reply r = {};
  uint32_t id = 0, reason = 0;
  int32_t status = 0;
  const uint8_t *header, *data;
  size_t header_len, data_len;
  if (!GetU32(obj, "requestId", &id) || !GetI32(obj, "status", &status) ||
      !GetU32(obj, "reason", &reason))
    return false;
  // Both Buffers are read before either's memory is taken: a getter could
  // otherwise detach one whose pointer is already laid out.
  Napi::Value header_value = obj.Get("header");
  if (obj.Env().IsExceptionPending()) return false;
  Napi::Value data_value = obj.Get("data");
  if (obj.Env().IsExceptionPending()) return false;
  Napi::Env env = obj.Env();
  if (!GetBytes(env, header_value, "header", TAKAKRYPT_FILE_HEADER_SIZE,
                TAKAKRYPT_FILE_HEADER_SIZE, &header, &header_len) ||
      !GetBytes(env, data_value, "data", 1, kMaxRunBytes, &data, &data_len))
    return false;
  if (request_id != nullptr) *request_id = id;
  r.request_id = id;
  r.status = status;
  r.reason = reason;
  r.length = static_cast<uint32_t>(data_len);
  out->head.PutAttr(TAKAKRYPT_A_CRYPT_REPLY, &r, sizeof(r));
  if (header != nullptr)
    AddPart(out, TAKAKRYPT_A_FILE_HEADER, header, header_len);
  for (size_t off = 0; off < data_len; off += kUnit) {
    size_t n = data_len - off < kUnit ? data_len - off : kUnit;
    AddPart(out, TAKAKRYPT_A_DATA, data + off, n);
  }
  return true;
}

void LayOutDataReply(CryptReplyMessage* out, uint32_t request_id,
                     uint32_t length,
                     const std::vector<const NlAttr*>& units) {
  takakrypt_crypt_reply r = {};
  r.request_id = request_id;
  r.length = length;
  out->head.PutAttr(TAKAKRYPT_A_CRYPT_REPLY, &r, sizeof(r));
  for (const NlAttr* u : units) AddPart(out, TAKAKRYPT_A_DATA, u->data, u->len);
}

void LayOutStatusReply(CryptReplyMessage* out, uint32_t request_id) {
  takakrypt_crypt_reply r = {};
  r.request_id = request_id;
  out->head.PutAttr(TAKAKRYPT_A_CRYPT_REPLY, &r, sizeof(r));
}

void LayOutHeaderReply(CryptReplyMessage* out, uint32_t request_id) {
  takakrypt_crypt_reply r = {};
  r.request_id = request_id;
  out->head.PutAttr(TAKAKRYPT_A_CRYPT_REPLY, &r, sizeof(r));
  for (const auto& header : out->owned)
    AddPart(out, TAKAKRYPT_A_FILE_HEADER, header.get(),
            TAKAKRYPT_FILE_HEADER_SIZE);
}

namespace {

// Field `key` as a 64-bit unsigned bigint (tests encode any value).
bool GetBig(Napi::Object obj, const char* key, uint64_t* out) {
  Napi::Value v = obj.Get(key);
  bool lossless = false;
  if (v.IsBigInt()) *out = v.As<Napi::BigInt>().Uint64Value(&lossless);
  if (lossless) return true;
  ThrowTypeError(obj.Env(), std::string("expected `") + key +
                                "` to be a 64-bit unsigned bigint");
  return false;
}

}  // namespace

bool CryptReqFromJs(Napi::Object obj, takakrypt_crypt_req* out) {
  uint32_t id, op, pid, uid, length, reserved;
  uint64_t inode, first_unit;
  if (!GetU32(obj, "requestId", &id) || !GetU32(obj, "op", &op) ||
      !GetU32(obj, "pid", &pid) || !GetU32(obj, "uid", &uid) ||
      !GetBig(obj, "inode", &inode) || !GetBig(obj, "firstUnit", &first_unit) ||
      !GetU32(obj, "length", &length) || !GetU32(obj, "reserved", &reserved))
    return false;
  // Packed fields have no address to hand out, hence the temporaries.
  out->request_id = id;
  out->op = op;
  out->pid = pid;
  out->uid = uid;
  out->inode = inode;
  out->first_unit = first_unit;
  out->length = length;
  out->reserved = reserved;
  return true;
}

}  // namespace tk
