// The data path in the addon: registered file keys, and data requests
// answered with them where the receive thread holds the message.
#include "data_path.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include <cmath>

#include "errors.h"
#include "openssl_util.h"
#include "tagged.h"
#include "xts_run.h"

namespace tk {

namespace {

// docs/FORMAT.md: the header's fields end where the reserved area starts;
// the MAC closes the header.
constexpr size_t kFieldsSize = 128;
constexpr size_t kMacOffset = 4064;
constexpr size_t kMacSize = 32;
constexpr size_t kBlock = 16;
// The agent's largest unit index (its byte offsets stay exact as a
// JavaScript number); a run beyond it goes to the agent, which refuses it.
constexpr uint64_t kMaxUnitIndex = 9007199254740991ULL / 4096 - 1;

static_assert(TAKAKRYPT_FILE_HEADER_SIZE == kMacOffset + kMacSize,
              "header size");

bool ReservedIsZero(const uint8_t* header) {
  return IsZero(header + kFieldsSize, kMacOffset - kFieldsSize);
}

std::string MacOf(const uint8_t* header) {
  return std::string(reinterpret_cast<const char*>(header + kMacOffset),
                     kMacSize);
}

// A final unit shorter than one AES block: XOR with AES(tail key, tweak)
// under the zero-unit rule (zeros stay zeros; the input the keystream
// sends to zeros becomes the keystream itself). The same both ways.
bool ShortTail(const uint8_t* tail_key, uint64_t index, uint8_t* p, size_t n,
               EVP_CIPHER_CTX** ecb) {
  if (IsZero(p, n)) return true;
  if (*ecb == nullptr) {
    const EVP_CIPHER* cipher = FetchedCipher(Aes::kEcb);
    *ecb = cipher ? EVP_CIPHER_CTX_new() : nullptr;
    if (*ecb == nullptr ||
        EVP_EncryptInit_ex(*ecb, cipher, nullptr, tail_key, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(*ecb, 0) != 1) {
      return false;
    }
  }
  uint8_t tweak[kBlock] = {};
  for (int i = 0; i < 8; i++) tweak[i] = static_cast<uint8_t>(index >> (8 * i));
  uint8_t block[kBlock];
  int written = 0;
  if (EVP_EncryptUpdate(*ecb, block, &written, tweak, kBlock) != 1 ||
      written != static_cast<int>(kBlock)) {
    return false;
  }
  for (size_t i = 0; i < n; i++) p[i] ^= block[i];
  if (IsZero(p, n)) memcpy(p, block, n);
  OPENSSL_cleanse(block, sizeof(block));
  return true;
}

// Every unit in place; false with `failure` set when OpenSSL fails.
bool Transform(const FileKeys& keys, bool encrypt, uint64_t first,
               const std::vector<const NlAttr*>& units,
               std::string* failure) {
  EVP_CIPHER_CTX* xts = nullptr;
  EVP_CIPHER_CTX* ecb = nullptr;
  bool ok = true;
  for (size_t i = 0; ok && i < units.size(); i++) {
    // The message is the receive thread's own buffer.
    uint8_t* p = const_cast<uint8_t*>(units[i]->data);
    size_t n = units[i]->len;
    if (n < kBlock) {
      ok = ShortTail(keys.tail, first + i, p, n, &ecb);
      if (!ok) *failure = TakeOpenSslError("AES-256-ECB tail keystream");
    } else if (xts == nullptr &&
               (xts = NewXtsContext(keys.xts, encrypt)) == nullptr) {
      ok = false;
      *failure = TakeOpenSslError("AES-256-XTS key set-up");
    } else {
      ok = XtsUnit(xts, first + i, 0, p, p, n, true);
      if (!ok) *failure = TakeOpenSslError("AES-256-XTS data unit");
    }
  }
  EVP_CIPHER_CTX_free(xts);
  EVP_CIPHER_CTX_free(ecb);
  return ok;
}

}  // namespace

FileKeys::~FileKeys() {
  OPENSSL_cleanse(xts, sizeof(xts));
  OPENSSL_cleanse(tail, sizeof(tail));
}

bool CipherTable::Add(const uint8_t* header, const uint8_t* xts,
                      const uint8_t* tail) {
  std::string mac = MacOf(header);
  bool servable = ReservedIsZero(header);
  std::shared_ptr<FileKeys> keys;
  if (servable) {
    keys = std::make_shared<FileKeys>();
    memcpy(keys->xts, xts, sizeof(keys->xts));
    memcpy(keys->tail, tail, sizeof(keys->tail));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(mac);
  if (!servable) {
    // The agent now keeps another header under this MAC itself.
    if (it != entries_.end()) entries_.erase(it);
    return false;
  }
  if (it == entries_.end()) {
    if (entries_.size() >= capacity_) return false;
    it = entries_.emplace(std::move(mac), Entry()).first;
  }
  memcpy(it->second.fields.data(), header, kFieldsSize);
  it->second.keys = std::move(keys);
  return true;
}

bool CipherTable::Remove(const uint8_t* mac) {
  std::string key(reinterpret_cast<const char*>(mac), kMacSize);
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.erase(key) > 0;
}

void CipherTable::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
  touched_.clear();
  pools_.clear();
}

size_t CipherTable::Size() {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

std::shared_ptr<const FileKeys> CipherTable::Find(const uint8_t* header) {
  if (!ReservedIsZero(header)) return nullptr;
  std::string mac = MacOf(header);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(mac);
  if (it == entries_.end() ||
      memcmp(it->second.fields.data(), header, kFieldsSize) != 0) {
    return nullptr;
  }
  if (!it->second.touched) {
    it->second.touched = true;
    touched_.append(it->first);
  }
  return it->second.keys;
}

std::string CipherTable::TakeTouched() {
  std::string macs;
  std::lock_guard<std::mutex> lock(mu_);
  macs.swap(touched_);
  for (size_t off = 0; off < macs.size(); off += kMacSize) {
    auto it = entries_.find(macs.substr(off, kMacSize));
    if (it != entries_.end()) it->second.touched = false;
  }
  return macs;
}

std::string PoolKey(const std::string& guard_point,
                    const std::string& policy_name) {
  // Neither holds a NUL (the codec checks the strings).
  return guard_point + '\0' + policy_name;
}

bool CipherTable::Stock(const std::string& where, const uint8_t* header) {
  ReadyHeader ready;
  ready.header.reset(new uint8_t[TAKAKRYPT_FILE_HEADER_SIZE]);
  memcpy(ready.header.get(), header, TAKAKRYPT_FILE_HEADER_SIZE);
  ready.made = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  std::deque<ReadyHeader>& pool = pools_[where];
  if (pool.size() >= kMaxPooled) return false;
  pool.push_back(std::move(ready));
  return true;
}

size_t CipherTable::TakeHeaders(const std::string& where, uint8_t* out,
                                size_t max) {
  using std::chrono::milliseconds;
  auto now = std::chrono::steady_clock::now();
  auto oldest = now - pool_max_age_;
  auto oldest_spare =
      now - (pool_max_age_ - milliseconds(TAKAKRYPT_SPARE_HEADER_TTL_MS));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pools_.find(where);
  if (it == pools_.end()) return 0;
  std::deque<ReadyHeader>& pool = it->second;
  while (!pool.empty() && pool.front().made < oldest) pool.pop_front();
  size_t n = 0;
  while (n < max && !pool.empty() &&
         (n == 0 || pool.front().made >= oldest_spare)) {
    memcpy(out + n * TAKAKRYPT_FILE_HEADER_SIZE, pool.front().header.get(),
           TAKAKRYPT_FILE_HEADER_SIZE);
    pool.pop_front();
    n++;
  }
  return n;
}

size_t CipherTable::Pooled(const std::string& where) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pools_.find(where);
  return it == pools_.end() ? 0 : it->second.size();
}

Served ServeData(uint8_t* attrs, size_t len, CipherTable* table,
                 CryptReplyMessage* reply, uint32_t* request_id,
                 std::string* failure) {
  CryptView v;
  std::string why;
  if (!ParseCryptRequest(attrs, len, &v, &why)) return Served::kNo;
  Served served = ServeParsed(v, table, reply, failure);
  if (served != Served::kNo) *request_id = v.fixed.request_id;
  return served;
}

Served ServeParsed(const CryptView& v, CipherTable* table,
                   CryptReplyMessage* reply, std::string* failure) {
  if (v.fixed.op == TAKAKRYPT_CRYPT_NEW_HEADER) {
    constexpr size_t kMost = 1 + TAKAKRYPT_MAX_SPARE_HEADERS;
    reply->owned.reset(new uint8_t[kMost * TAKAKRYPT_FILE_HEADER_SIZE]);
    size_t n = table->TakeHeaders(
        PoolKey(AttrString(v.guard_point), AttrString(v.policy_name)),
        reply->owned.get(), kMost);
    if (n == 0) return Served::kNo;
    LayOutHeaderReply(reply, v.fixed.request_id, reply->owned.get(), n);
    return Served::kYes;
  }
  if (v.fixed.op == TAKAKRYPT_CRYPT_OPEN_HEADER) {
    // A whole header the agent already opened and verified: nothing to
    // check again. A short one (plaintext) is the agent's to refuse.
    if (v.fixed.length != TAKAKRYPT_FILE_HEADER_SIZE ||
        table->Find(v.header->data) == nullptr)
      return Served::kNo;
    LayOutStatusReply(reply, v.fixed.request_id);
    return Served::kYes;
  }
  if (!IsDataOp(v.fixed.op)) return Served::kNo;
  uint64_t first = v.fixed.first_unit;
  if (first > kMaxUnitIndex || v.units.size() - 1 > kMaxUnitIndex - first)
    return Served::kNo;
  std::shared_ptr<const FileKeys> keys = table->Find(v.header->data);
  if (!keys) return Served::kNo;
  bool encrypt = v.fixed.op == TAKAKRYPT_CRYPT_ENCRYPT;
  if (!Transform(*keys, encrypt, first, v.units, failure)) {
    // Half-done units are of no use to anyone: zeros go on instead.
    for (const NlAttr* u : v.units)
      explicit_bzero(const_cast<uint8_t*>(u->data), u->len);
    return Served::kFailed;
  }
  LayOutDataReply(reply, v.fixed.request_id, v.fixed.length, v.units);
  return Served::kYes;
}

namespace {

class CipherTableWrap : public Napi::ObjectWrap<CipherTableWrap> {
 public:
  // Marks objects made by the CipherTable constructor, so that no other
  // wrapped object is taken for one.
  static constexpr napi_type_tag kTag = {0x7a6b7269e1d04c3bULL,
                                         0x9c51d2f0a4b83e17ULL};
  static constexpr const char* kClassName = "CipherTable";

  static Napi::Function Define(Napi::Env env) {
    Napi::Function constructor = DefineClass(
        env, kClassName,
        {InstanceMethod<&CipherTableWrap::Add>("add"),
         InstanceMethod<&CipherTableWrap::Remove>("remove"),
         InstanceMethod<&CipherTableWrap::Clear>("clear"),
         InstanceMethod<&CipherTableWrap::TakeTouched>("takeTouched"),
         InstanceMethod<&CipherTableWrap::Stock>("stock"),
         InstanceMethod<&CipherTableWrap::GetPooled>("pooled")});
    DefineGetters(
        constructor,
        {{"size", CheckedGetterCallback<CipherTableWrap,
                                        &CipherTableWrap::GetSize>},
         {"capacity", CheckedGetterCallback<CipherTableWrap,
                                            &CipherTableWrap::GetCapacity>}});
    return constructor;
  }

  // new CipherTable(capacity, poolMaxAgeMs = 2000)
  explicit CipherTableWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<CipherTableWrap>(info) {
    Napi::Env env = info.Env();
    double d = info.Length() >= 1 && info[0].IsNumber()
                   ? info[0].As<Napi::Number>().DoubleValue()
                   : 0;
    if (info.Length() > 2 || !(d >= 1 && d <= 1048576) ||
        std::floor(d) != d) {
      ThrowTypeError(env, "expected a capacity from 1 to 1048576 files");
      return;
    }
    double age = 2000;
    if (info.Length() == 2) {
      age = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
      if (!(age >= 0 && age <= 60000) || std::floor(age) != age) {
        ThrowTypeError(env, "expected a pool age from 0 to 60000 ms");
        return;
      }
    }
    table_ = std::make_shared<CipherTable>(
        static_cast<size_t>(d),
        std::chrono::milliseconds(static_cast<int64_t>(age)));
    napi_type_tag_object(env, info.This(), &kTag);
  }

  std::shared_ptr<CipherTable> table() const { return table_; }

 private:
  // add(header: 4096 bytes, xtsKey: 64 bytes, tailKey: 32 bytes) -> boolean
  Napi::Value Add(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Bytes header, xts, tail;
    if (info.Length() != 3 || !AsBytes(info[0], &header) ||
        header.length != TAKAKRYPT_FILE_HEADER_SIZE ||
        !AsBytes(info[1], &xts) || xts.length != sizeof(FileKeys::xts) ||
        !AsBytes(info[2], &tail) || tail.length != sizeof(FileKeys::tail)) {
      return ThrowTypeError(env,
                            "expected add(header: 4096-byte Buffer, xtsKey: "
                            "64-byte Buffer, tailKey: 32-byte Buffer)");
    }
    return Napi::Boolean::New(env,
                              table_->Add(header.data, xts.data, tail.data));
  }

  // remove(mac: 32 bytes) -> boolean
  Napi::Value Remove(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Bytes mac;
    if (info.Length() != 1 || !AsBytes(info[0], &mac) ||
        mac.length != kMacSize) {
      return ThrowTypeError(env, "expected remove(mac: 32-byte Buffer)");
    }
    return Napi::Boolean::New(env, table_->Remove(mac.data));
  }

  Napi::Value Clear(const Napi::CallbackInfo& info) {
    table_->Clear();
    return info.Env().Undefined();
  }

  // stock(guardPoint, policyName, header: 4096 bytes) -> boolean
  Napi::Value Stock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string where;
    Bytes header;
    if (info.Length() != 3 || !PoolKeyArg(info, &where) ||
        !AsBytes(info[2], &header) ||
        header.length != TAKAKRYPT_FILE_HEADER_SIZE) {
      return ThrowTypeError(env,
                            "expected stock(guardPoint: string, policyName: "
                            "string, header: 4096-byte Buffer)");
    }
    return Napi::Boolean::New(env, table_->Stock(where, header.data));
  }

  // pooled(guardPoint, policyName) -> number
  Napi::Value GetPooled(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string where;
    if (info.Length() != 2 || !PoolKeyArg(info, &where)) {
      return ThrowTypeError(
          env, "expected pooled(guardPoint: string, policyName: string)");
    }
    return Napi::Number::New(env, static_cast<double>(table_->Pooled(where)));
  }

  // Arguments 0 and 1 as a pool key: strings without NUL.
  static bool PoolKeyArg(const Napi::CallbackInfo& info, std::string* out) {
    if (!info[0].IsString() || !info[1].IsString()) return false;
    std::string gp = info[0].As<Napi::String>().Utf8Value();
    std::string policy = info[1].As<Napi::String>().Utf8Value();
    if (gp.find('\0') != std::string::npos ||
        policy.find('\0') != std::string::npos)
      return false;
    *out = PoolKey(gp, policy);
    return true;
  }

  // takeTouched() -> Buffer: the MACs (32 bytes each) of the entries that
  // answered a request since the last call.
  Napi::Value TakeTouched(const Napi::CallbackInfo& info) {
    std::string macs = table_->TakeTouched();
    return Napi::Buffer<uint8_t>::Copy(
        info.Env(), reinterpret_cast<const uint8_t*>(macs.data()), macs.size());
  }

  Napi::Value GetSize(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(table_->Size()));
  }

  Napi::Value GetCapacity(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(),
                             static_cast<double>(table_->Capacity()));
  }

  std::shared_ptr<CipherTable> table_;
};

// serveCryptMessage(table, message): one whole CRYPT_REQ message as the
// channel receives it, answered as the receive thread would. The units
// are transformed in `message` itself. Returns {served: 'no'},
// {served: 'yes', reply: Buffer} (the bytes that would be sent) or
// {served: 'failed', failure: string}.
Napi::Value ServeCryptMessage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<CipherTable> table =
      info.Length() == 2 ? UnwrapCipherTable(info[0]) : nullptr;
  Bytes msg;
  if (table == nullptr || !AsBytes(info[1], &msg) ||
      msg.length < NLMSG_HDRLEN + GENL_HDRLEN ||
      reinterpret_cast<const nlmsghdr*>(msg.data)->nlmsg_len != msg.length) {
    return ThrowTypeError(env,
                          "expected (table: CipherTable, message: Buffer "
                          "holding one whole netlink message)");
  }
  // The reply goes to the family the request came from.
  CryptReplyMessage reply(reinterpret_cast<const nlmsghdr*>(msg.data)->nlmsg_type);
  std::string failure;
  uint32_t id = 0;
  Served served = ServeData(msg.data + NLMSG_HDRLEN + GENL_HDRLEN,
                            msg.length - NLMSG_HDRLEN - GENL_HDRLEN,
                            table.get(), &reply, &id, &failure);
  // Everything is taken from `message` before a property is set: a setter
  // on Object.prototype may run then, and could free it.
  Napi::Value bytes_out;
  if (served == Served::kYes) {
    reply.Seal();
    std::string bytes(reinterpret_cast<const char*>(reply.head.data()),
                      reply.head.size());
    for (const iovec& v : reply.parts)
      bytes.append(static_cast<const char*>(v.iov_base), v.iov_len);
    bytes_out = Napi::Buffer<uint8_t>::Copy(
        env, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    explicit_bzero(&bytes[0], bytes.size());
  }
  Napi::Object out = Napi::Object::New(env);
  const char* outcome = served == Served::kNo    ? "no"
                        : served == Served::kYes ? "yes"
                                                 : "failed";
  out.Set("served", outcome);
  if (served != Served::kNo) out.Set("requestId", id);
  if (served == Served::kFailed) out.Set("failure", failure);
  if (served == Served::kYes) out.Set("reply", bytes_out);
  return out;
}

}  // namespace

std::shared_ptr<CipherTable> UnwrapCipherTable(Napi::Value v) {
  CipherTableWrap* wrap =
      UnwrapTagged<CipherTableWrap>(v, CipherTableWrap::kTag);
  return wrap == nullptr ? nullptr : wrap->table();
}

void InitDataPath(Napi::Env env, Napi::Object exports, Napi::Object codec) {
  exports.Set("CipherTable", CipherTableWrap::Define(env));
  codec.Set("serveCryptMessage", Napi::Function::New(env, ServeCryptMessage));
}

}  // namespace tk
