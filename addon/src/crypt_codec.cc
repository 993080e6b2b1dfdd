// The data path's codec: a CRYPT_REQ message to a native request.
#include "crypt_codec.h"

#include <string.h>

#include <mutex>

#include "codec.h"
#include "errors.h"

namespace tk {

static_assert(sizeof(takakrypt_crypt_req) == 40, "crypt_req size");
static_assert(offsetof(takakrypt_crypt_req, inode) == 16, "crypt_req.inode");
static_assert(offsetof(takakrypt_crypt_req, first_unit) == 24,
              "crypt_req.first_unit");
static_assert(offsetof(takakrypt_crypt_req, length) == 32, "crypt_req.length");
static_assert(sizeof(takakrypt_crypt_reply) == 16, "crypt_reply size");
static_assert(offsetof(takakrypt_crypt_reply, status) == 4, "reply.status");
static_assert(offsetof(takakrypt_crypt_reply, length) == 12, "reply.length");
static_assert(TAKAKRYPT_DATA_UNIT_SIZE + NLA_HDRLEN <= 0xffff, "unit attr");

namespace {

constexpr size_t kUnit = TAKAKRYPT_DATA_UNIT_SIZE;
constexpr size_t kMaxRunBytes = TAKAKRYPT_MAX_RUN_UNITS * kUnit;

// Data blocks of the largest run, reused: a fresh 120 KiB block costs more
// in page faults than the whole encryption of the run. Taken by the
// receive thread, given back (wiped) by the JS thread's finalizer.
class BlockPool {
 public:
  uint8_t* Take() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (count_ > 0) return blocks_[--count_];
    }
    return new uint8_t[kMaxRunBytes];
  }

  void Give(uint8_t* block, size_t used) {
    explicit_bzero(block, used);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (count_ < kKeep) {
        blocks_[count_++] = block;
        return;
      }
    }
    delete[] block;
  }

 private:
  static constexpr size_t kKeep = 64;
  std::mutex mu_;
  uint8_t* blocks_[kKeep];
  size_t count_ = 0;
};

// Never destroyed: finalizers may run during teardown, after statics.
BlockPool& Pool() {
  static BlockPool* pool = new BlockPool();
  return *pool;
}

const char* OpName(uint32_t op) {
  switch (op) {
    case TAKAKRYPT_CRYPT_NEW_HEADER: return "NEW_HEADER";
    case TAKAKRYPT_CRYPT_OPEN_HEADER: return "OPEN_HEADER";
    case TAKAKRYPT_CRYPT_ENCRYPT: return "ENCRYPT";
    case TAKAKRYPT_CRYPT_DECRYPT: return "DECRYPT";
    default: return nullptr;
  }
}

// A NUL-terminated string attribute without NUL inside.
bool IsString(const NlAttr& a) {
  if (a.len == 0 || a.data[a.len - 1] != '\0') return false;
  const char* s = reinterpret_cast<const char*>(a.data);
  return strnlen(s, a.len) == a.len - 1;
}


bool SortAttr(const NlAttr& a, const NlAttr** fixed, CryptView* s,
              std::string* why) {
  switch (a.type) {
    case TAKAKRYPT_A_CRYPT_REQ: *fixed = &a; return true;
    case TAKAKRYPT_A_FILE_HEADER: s->header = &a; return true;
    case TAKAKRYPT_A_GUARD_POINT: s->guard_point = &a; return true;
    case TAKAKRYPT_A_PATH: s->path = &a; return true;
    case TAKAKRYPT_A_POLICY_NAME: s->policy_name = &a; return true;
    case TAKAKRYPT_A_DATA:
      if (s->units.size() == TAKAKRYPT_MAX_RUN_UNITS) {
        *why = "more than " + std::to_string(TAKAKRYPT_MAX_RUN_UNITS) +
               " data units";
        return false;
      }
      s->units.push_back(&a);
      return true;
    default:
      return true;  // newer kernels may add attributes
  }
}

// The fixed part's own rules: op, reserved, and length/first_unit by op.
bool CheckFixed(const takakrypt_crypt_req& f, std::string* why) {
  const char* op = OpName(f.op);
  std::string len = std::to_string(f.length);
  if (op == nullptr) {
    *why = "op " + std::to_string(f.op) + " is unknown";
  } else if (f.reserved != 0) {
    *why = "reserved is " + std::to_string(f.reserved) + ", expected 0";
  } else if (!IsDataOp(f.op) && f.first_unit != 0) {
    *why = "first unit is " + std::to_string(f.first_unit) +
           ", expected 0 for " + op;
  } else if (f.op == TAKAKRYPT_CRYPT_NEW_HEADER && f.length != 0) {
    *why = "length is " + len + ", expected 0 for NEW_HEADER";
  } else if (f.op == TAKAKRYPT_CRYPT_OPEN_HEADER &&
             f.length > TAKAKRYPT_FILE_HEADER_SIZE) {
    *why = "length is " + len + ", expected at most " +
           std::to_string(TAKAKRYPT_FILE_HEADER_SIZE) + " for OPEN_HEADER";
  } else if (IsDataOp(f.op) && (f.length == 0 || f.length > kMaxRunBytes)) {
    *why = "length is " + len + ", expected 1 to " +
           std::to_string(kMaxRunBytes) + " for " + op;
  } else if (f.first_unit > kMaxSafeUnit) {
    *why = "first unit " + std::to_string(f.first_unit) +
           " is beyond 2^53 - 1";
  } else {
    return true;
  }
  return false;
}

// Which attributes the op needs (takakrypt.h's message flow), and sizes.
bool CheckPresent(const CryptView& s, uint32_t op, std::string* why) {
  const char* name = OpName(op);
  bool needs_header = op != TAKAKRYPT_CRYPT_NEW_HEADER;
  if (needs_header && s.header == nullptr) {
    *why = "file header attribute is missing";
  } else if (s.header != nullptr && s.header->len != TAKAKRYPT_FILE_HEADER_SIZE) {
    *why = "file header attribute has " + std::to_string(s.header->len) +
           " bytes, expected " + std::to_string(TAKAKRYPT_FILE_HEADER_SIZE);
  } else if (s.guard_point == nullptr) {
    *why = "guard point attribute is missing";
  } else if (!IsDataOp(op) && s.path == nullptr) {
    *why = "path attribute is missing";
  } else if (op == TAKAKRYPT_CRYPT_NEW_HEADER && s.policy_name == nullptr) {
    *why = "policy name attribute is missing";
  } else if (!IsDataOp(op) && !s.units.empty()) {
    *why = std::string("data attribute is not expected for ") + name;
  } else {
    return true;
  }
  return false;
}

bool CheckStrings(const CryptView& s, std::string* why) {
  struct { const NlAttr* a; const char* what; } list[] = {
      {s.guard_point, "guard point"},
      {s.path, "path"},
      {s.policy_name, "policy name"}};
  for (const auto& item : list) {
    if (item.a == nullptr || IsString(*item.a)) continue;
    *why = std::string(item.what) +
           " attribute is not a NUL-terminated string";
    return false;
  }
  return true;
}

// Every unit but the last is a whole unit; together they make `length`.
bool CheckUnits(const CryptView& s, uint32_t length, std::string* why) {
  size_t want = (length + kUnit - 1) / kUnit;
  if (s.units.size() != want) {
    *why = "length " + std::to_string(length) + " needs " +
           std::to_string(want) + " data units, got " +
           std::to_string(s.units.size());
    return false;
  }
  size_t off = 0;
  for (size_t i = 0; i < want; i++) {
    size_t expect = i + 1 < want ? kUnit : length - off;
    if (s.units[i]->len != expect) {
      *why = "data unit " + std::to_string(i) + " has " +
             std::to_string(s.units[i]->len) + " bytes, expected " +
             std::to_string(expect);
      return false;
    }
    off += expect;
  }
  return true;
}

// The units gathered into one block from the pool.
uint8_t* GatherUnits(const CryptView& s) {
  uint8_t* block = Pool().Take();
  size_t off = 0;
  for (const NlAttr* u : s.units) {
    memcpy(block + off, u->data, u->len);
    off += u->len;
  }
  return block;
}

}  // namespace

CryptRequest::~CryptRequest() {
  if (header) explicit_bzero(header.get(), TAKAKRYPT_FILE_HEADER_SIZE);
  if (data != nullptr) Pool().Give(data, fixed.length);
}

bool IsDataOp(uint32_t op) {
  return op == TAKAKRYPT_CRYPT_ENCRYPT || op == TAKAKRYPT_CRYPT_DECRYPT;
}

bool ParseCryptRequest(const uint8_t* attrs, size_t len, CryptView* s,
                       std::string* why) {
  if (!ParseAttrs(attrs, len, &s->list)) {
    *why = "attributes are malformed";
    return false;
  }
  const NlAttr* fixed = nullptr;
  for (const NlAttr& a : s->list) {
    if (!SortAttr(a, &fixed, s, why)) {
      // The id still lets the request be refused when it came first.
      if (fixed != nullptr && fixed->len == sizeof(s->fixed)) {
        memcpy(&s->fixed, fixed->data, sizeof(s->fixed));
        s->fixed_read = true;
      }
      return false;
    }
  }
  if (fixed == nullptr) {
    *why = "crypt request attribute is missing";
    return false;
  }
  if (fixed->len != sizeof(s->fixed)) {
    *why = "crypt request attribute has " + std::to_string(fixed->len) +
           " bytes, expected " + std::to_string(sizeof(s->fixed));
    return false;
  }
  memcpy(&s->fixed, fixed->data, sizeof(s->fixed));
  s->fixed_read = true;
  const takakrypt_crypt_req& f = s->fixed;
  if (f.request_id == 0) {
    *why = "request id is 0";
    return false;
  }
  return CheckFixed(f, why) && CheckPresent(*s, f.op, why) &&
         CheckStrings(*s, why) &&
         (!IsDataOp(f.op) || CheckUnits(*s, f.length, why));
}

std::string AttrString(const NlAttr* a) {
  if (a == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(a->data), a->len - 1);
}

void TakeCryptRequest(const CryptView& s, CryptRequest* out) {
  out->fixed = s.fixed;
  out->guard_point = AttrString(s.guard_point);
  out->path = AttrString(s.path);
  out->policy_name = AttrString(s.policy_name);
  if (s.header != nullptr) {
    out->header.reset(new uint8_t[TAKAKRYPT_FILE_HEADER_SIZE]);
    memcpy(out->header.get(), s.header->data, TAKAKRYPT_FILE_HEADER_SIZE);
  }
  if (IsDataOp(s.fixed.op)) out->data = GatherUnits(s);
}

bool DecodeCryptRequest(const uint8_t* attrs, size_t len, CryptRequest* out,
                        std::string* why) {
  CryptView s;
  bool ok = ParseCryptRequest(attrs, len, &s, why);
  if (ok) {
    TakeCryptRequest(s, out);
  } else if (s.fixed_read) {
    out->fixed = s.fixed;
  }
  return ok;
}

namespace {

// A Buffer over the request's header; wiped when JS lets it go.
Napi::Value TakeHeader(Napi::Env env, std::unique_ptr<uint8_t[]>* block) {
  constexpr size_t len = TAKAKRYPT_FILE_HEADER_SIZE;
  return Napi::Buffer<uint8_t>::NewOrCopy(
      env, block->release(), len, [](Napi::Env, uint8_t* p) {
        explicit_bzero(p, len);
        delete[] p;
      });
}

// A Buffer over the request's data block; back to the pool when JS lets
// it go. V8 is told of the memory so that it collects such Buffers soon.
Napi::Value TakeData(Napi::Env env, uint8_t** block, size_t len) {
  uint8_t* p = *block;
  *block = nullptr;
  int64_t ignored;
  napi_adjust_external_memory(env, kMaxRunBytes, &ignored);
  return Napi::Buffer<uint8_t>::NewOrCopy(
      env, p, len, [len](Napi::Env env, uint8_t* q) {
        int64_t left;
        napi_adjust_external_memory(env, -static_cast<int64_t>(kMaxRunBytes),
                                    &left);
        Pool().Give(q, len);
      });
}

}  // namespace

Napi::Object CryptRequestToJs(Napi::Env env, CryptRequest* req) {
  const takakrypt_crypt_req& f = req->fixed;
  Napi::Object obj = Napi::Object::New(env);
  obj.Set("requestId", f.request_id);
  obj.Set("op", f.op);
  obj.Set("pid", f.pid);
  obj.Set("uid", f.uid);
  obj.Set("inode", Napi::BigInt::New(env, static_cast<uint64_t>(f.inode)));
  obj.Set("firstUnit", static_cast<double>(f.first_unit));
  obj.Set("length", f.length);
  if (req->header) obj.Set("header", TakeHeader(env, &req->header));
  if (req->data != nullptr) obj.Set("data", TakeData(env, &req->data, f.length));
  if (!req->failure.empty()) obj.Set("failure", req->failure);
  obj.Set("guardPoint", req->guard_point);
  obj.Set("path", req->path);
  obj.Set("policyName", req->policy_name);
  return obj;
}

}  // namespace tk
