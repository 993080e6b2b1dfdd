// The data path in the addon: registered file keys, and data requests
// answered with them where the receive thread holds the message.
#include "data_path.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>

#include "errors.h"
#include "kdf.h"
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

// Every unit in place, with the file's kept XTS context for this direction
// (made here when it has none); false with `failure` set when OpenSSL
// fails, and then the file keeps no context. `*first_kept` says whether
// the file kept no context before and keeps one now.
bool Transform(const FileKeys& keys, bool encrypt, uint64_t first,
               const std::vector<const NlAttr*>& units, std::string* failure,
               bool* first_kept) {
  std::lock_guard<std::mutex> lock(keys.mu);
  bool kept_none = keys.xts_ctx[0] == nullptr && keys.xts_ctx[1] == nullptr;
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
               (xts = keys.ContextLocked(encrypt)) == nullptr) {
      ok = false;
      *failure = TakeOpenSslError("AES-256-XTS key set-up");
    } else {
      // Each unit sets its own tweak: nothing of the last request stays.
      ok = XtsUnit(xts, first + i, 0, p, p, n, true);
      if (!ok) *failure = TakeOpenSslError("AES-256-XTS data unit");
    }
  }
  EVP_CIPHER_CTX_free(ecb);
  // After any OpenSSL failure the file keeps no context.
  if (!ok) keys.DropContextsLocked();
  *first_kept = ok && kept_none && xts != nullptr;
  return ok;
}

// docs/FORMAT.md, header v1: where each field starts.
constexpr uint8_t kMagic[8] = {0x89, 0x54, 0x4b, 0x52, 0x59, 0x50, 0x54, 0x0a};
constexpr size_t kVersionAt = 8, kAlgorithmAt = 10, kHeaderSizeAt = 12,
                 kUnitSizeAt = 16, kFlagsAt = 20, kKeyVersionAt = 24,
                 kKeyNameLengthAt = 28, kNonceAt = 32, kKeyCheckAt = 48,
                 kKeyNameAt = 64;
constexpr size_t kNonceSize = 16, kKeyCheckSize = 16, kKeyNameMax = 64;
constexpr size_t kMaterialSize = 32;

void PutLe(uint8_t* p, uint32_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// A name the header can hold, as the agent's checkKeyIdentity accepts:
// [A-Za-z0-9][A-Za-z0-9._-]{0,63}, and not the reserved "clear_key".
bool HeaderKeyName(const std::string& name) {
  if (name.empty() || name.size() > kKeyNameMax || name == "clear_key")
    return false;
  for (size_t i = 0; i < name.size(); i++) {
    char c = name[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                 (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

// The header of a new file and its content keys: HKDF-SHA-512 of the key
// material with the nonce as salt gives the XTS, tail and MAC keys and the
// key check value; the MAC closes the header. False if OpenSSL failed or
// the XTS key's halves came out equal (OpenSSL refuses such a key).
bool MakeHeader(const uint8_t* material, const std::string& key_name,
                uint32_t key_version, const uint8_t* nonce, uint8_t* header,
                FileKeys* keys) {
  static const char kXtsInfo[] = "takakrypt v1 aes-256-xts data unit key";
  static const char kTailInfo[] = "takakrypt v1 short tail keystream key";
  static const char kMacInfo[] = "takakrypt v1 header hmac-sha-256 key";
  static const char kCheckInfo[] = "takakrypt v1 key check value";
  uint8_t mac_key[32], check[kKeyCheckSize];
  auto u8 = [](const char* text) {
    return reinterpret_cast<const uint8_t*>(text);
  };
  HkdfOutput outputs[4] = {
      {u8(kXtsInfo), sizeof(kXtsInfo) - 1, sizeof(keys->xts), keys->xts},
      {u8(kTailInfo), sizeof(kTailInfo) - 1, sizeof(keys->tail), keys->tail},
      {u8(kMacInfo), sizeof(kMacInfo) - 1, sizeof(mac_key), mac_key},
      {u8(kCheckInfo), sizeof(kCheckInfo) - 1, sizeof(check), check},
  };
  bool ok =
      HkdfSha512(material, kMaterialSize, nonce, kNonceSize, outputs, 4) &&
      CRYPTO_memcmp(keys->xts, keys->xts + 32, 32) != 0;
  if (ok) {
    memset(header, 0, TAKAKRYPT_FILE_HEADER_SIZE);
    memcpy(header, kMagic, sizeof(kMagic));
    PutLe(header + kVersionAt, 1, 2);
    PutLe(header + kAlgorithmAt, 1, 2);  // AES-256-XTS
    PutLe(header + kHeaderSizeAt, TAKAKRYPT_FILE_HEADER_SIZE, 4);
    PutLe(header + kUnitSizeAt, TAKAKRYPT_DATA_UNIT_SIZE, 4);
    PutLe(header + kFlagsAt, 0, 4);
    PutLe(header + kKeyVersionAt, key_version, 4);
    header[kKeyNameLengthAt] = static_cast<uint8_t>(key_name.size());
    memcpy(header + kNonceAt, nonce, kNonceSize);
    memcpy(header + kKeyCheckAt, check, kKeyCheckSize);
    memcpy(header + kKeyNameAt, key_name.data(), key_name.size());
    ok = HmacSha256(mac_key, sizeof(mac_key), header, kMacOffset,
                    header + kMacOffset);
  }
  OPENSSL_cleanse(mac_key, sizeof(mac_key));
  OPENSSL_cleanse(check, sizeof(check));
  return ok;
}

}  // namespace

EVP_CIPHER_CTX* FileKeys::ContextLocked(bool encrypt) const {
  EVP_CIPHER_CTX*& ctx = xts_ctx[encrypt ? 1 : 0];
  if (ctx == nullptr && (ctx = NewXtsContext(xts, encrypt)) != nullptr) {
    count->live++;
    count->made++;
  }
  return ctx;
}

void FileKeys::DropContextsLocked() const {
  // EVP_CIPHER_CTX_free wipes the key schedule.
  for (EVP_CIPHER_CTX*& ctx : xts_ctx) {
    if (ctx == nullptr) continue;
    EVP_CIPHER_CTX_free(ctx);
    ctx = nullptr;
    count->live--;
  }
}

FileKeys::~FileKeys() {
  DropContextsLocked();  // the last owner: nobody else holds `mu`
  OPENSSL_cleanse(xts, sizeof(xts));
  OPENSSL_cleanse(tail, sizeof(tail));
}

bool CipherTable::Add(const uint8_t* header, const uint8_t* xts,
                      const uint8_t* tail) {
  std::string mac = MacOf(header);
  bool servable = ReservedIsZero(header);
  std::shared_ptr<FileKeys> keys;
  if (servable) {
    keys = std::make_shared<FileKeys>(contexts_);
    memcpy(keys->xts, xts, sizeof(keys->xts));
    memcpy(keys->tail, tail, sizeof(keys->tail));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(mac);
  if (!servable) {
    // The agent now keeps another header under this MAC itself.
    if (it != entries_.end()) EraseLocked(it);
    return false;
  }
  if (it == entries_.end()) {
    // The capacity is the agent's cache's: entries made here do not count.
    if (entries_.size() - made_count_ >= capacity_) return false;
    it = entries_.emplace(std::move(mac), Entry()).first;
  } else if (it->second.made) {
    // The agent's cache holds it now, and says when it goes.
    it->second.made = false;
    made_count_--;
  }
  memcpy(it->second.fields.data(), header, kFieldsSize);
  it->second.keys = std::move(keys);
  return true;
}

void CipherTable::EraseLocked(
    std::unordered_map<std::string, Entry>::iterator it) {
  if (it->second.made) made_count_--;
  entries_.erase(it);
}

bool CipherTable::Remove(const uint8_t* mac) {
  std::string key(reinterpret_cast<const char*>(mac), kMacSize);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  EraseLocked(it);
  return true;
}

void CipherTable::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  allowed_.clear();
  entries_.clear();
  touched_.clear();
  pools_.clear();
  made_.clear();
  made_count_ = 0;
}

size_t CipherTable::MakeHeaders(const std::string& where,
                                const std::string& key_name,
                                uint32_t key_version, const uint8_t* material,
                                size_t count) {
  if (!HeaderKeyName(key_name)) return 0;
  // Only this (the agent's) thread stocks: the room does not shrink.
  size_t pooled = Pooled(where);
  count = std::min(count, kMaxPooled - std::min(pooled, kMaxPooled));
  size_t stocked = 0;
  uint8_t header[TAKAKRYPT_FILE_HEADER_SIZE];
  uint8_t nonces[kNonceSize * 32];
  for (size_t i = 0; i < count; i++) {
    size_t slot = i % 32;
    if (slot == 0 &&
        RAND_bytes(nonces, static_cast<int>(sizeof(nonces))) != 1) {
      ERR_clear_error();
      break;
    }
    auto keys = std::make_shared<FileKeys>(contexts_);
    if (!MakeHeader(material, key_name, key_version,
                    nonces + slot * kNonceSize, header, keys.get())) {
      ERR_clear_error();
      break;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      // A fresh random nonce: a MAC already here would be a repeated
      // nonce, which must never give two files one key.
      if (!KeepMadeLocked(MacOf(header), header, std::move(keys))) break;
    }
    if (!Stock(where, header)) break;
    stocked++;
  }
  OPENSSL_cleanse(nonces, sizeof(nonces));
  return stocked;
}

bool CipherTable::KeepMadeLocked(std::string mac, const uint8_t* header,
                                 std::shared_ptr<FileKeys> keys) {
  if (entries_.count(mac) != 0) return false;
  Entry entry;
  memcpy(entry.fields.data(), header, kFieldsSize);
  entry.keys = std::move(keys);
  entry.made = true;
  entries_.emplace(mac, std::move(entry));
  made_count_++;
  made_.push_back(std::move(mac));
  while (made_.size() > kMaxMade) {
    auto old = entries_.find(made_.front());
    if (old != entries_.end() && old->second.made) EraseLocked(old);
    made_.pop_front();
  }
  return true;
}

CipherTable::AllowedKey::~AllowedKey() {
  OPENSSL_cleanse(material, sizeof(material));
}

namespace {

std::string AllowedName(const std::string& key_name, uint32_t key_version) {
  return key_name + '\0' + std::to_string(key_version);
}

bool StampOf(const std::string& path, CipherTable::KeyFileStamp* out) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  auto ns = [](const timespec& t) {
    return static_cast<uint64_t>(t.tv_sec) * 1000000000ULL +
           static_cast<uint64_t>(t.tv_nsec);
  };
  uint64_t f[7] = {static_cast<uint64_t>(st.st_dev),
                   static_cast<uint64_t>(st.st_ino),
                   static_cast<uint64_t>(st.st_size),
                   ns(st.st_mtim),
                   ns(st.st_ctim),
                   static_cast<uint64_t>(st.st_mode),
                   static_cast<uint64_t>(st.st_uid)};
  memcpy(out->field, f, sizeof(f));
  return true;
}

}  // namespace

bool CipherTable::AllowKey(const std::string& key_name, uint32_t key_version,
                           const uint8_t* material, const std::string& path,
                           const KeyFileStamp& stamp) {
  if (!HeaderKeyName(key_name) || path.empty()) return false;
  auto key = std::make_shared<AllowedKey>();
  memcpy(key->material, material, sizeof(key->material));
  key->path = path;
  key->stamp = stamp;
  std::string name = AllowedName(key_name, key_version);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = allowed_.find(name);
  if (it == allowed_.end() && allowed_.size() >= kMaxKeysAllowed)
    return false;
  allowed_[name] = std::move(key);
  return true;
}

size_t CipherTable::KeysAllowed() {
  std::lock_guard<std::mutex> lock(mu_);
  return allowed_.size();
}

std::shared_ptr<const FileKeys> CipherTable::Open(const uint8_t* header) {
  if (memcmp(header, kMagic, sizeof(kMagic)) != 0 || !ReservedIsZero(header))
    return nullptr;
  size_t name_len = header[kKeyNameLengthAt];
  if (name_len == 0 || name_len > kKeyNameMax) return nullptr;
  std::string key_name(reinterpret_cast<const char*>(header + kKeyNameAt),
                       name_len);
  uint32_t key_version = 0;
  for (size_t i = 0; i < 4; i++)
    key_version |= static_cast<uint32_t>(header[kKeyVersionAt + i]) << (8 * i);
  std::shared_ptr<const AllowedKey> key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = allowed_.find(AllowedName(key_name, key_version));
    if (it == allowed_.end()) return nullptr;
    key = it->second;
  }
  // The key store's own check: the file is still the one the material
  // came from. A rotation, removal or replacement sends the file to the
  // agent, which reads the store again.
  KeyFileStamp now;
  if (!StampOf(key->path, &now) ||
      memcmp(now.field, key->stamp.field, sizeof(now.field)) != 0) {
    // Of no more use: the agent hands the key over again if it is still
    // in the store. Its material is wiped with the last reference.
    std::lock_guard<std::mutex> lock(mu_);
    auto it = allowed_.find(AllowedName(key_name, key_version));
    if (it != allowed_.end() && it->second == key) allowed_.erase(it);
    return nullptr;
  }
  auto keys = std::make_shared<FileKeys>(contexts_);
  uint8_t expected[TAKAKRYPT_FILE_HEADER_SIZE];
  bool same = MakeHeader(key->material, key_name, key_version,
                         header + kNonceAt, expected, keys.get()) &&
              CRYPTO_memcmp(expected, header, sizeof(expected)) == 0;
  OPENSSL_cleanse(expected, sizeof(expected));
  if (!same) {
    ERR_clear_error();
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(mu_);
  // Cleared or replaced meanwhile (a reload or stop): it no longer counts.
  auto now_allowed = allowed_.find(AllowedName(key_name, key_version));
  if (now_allowed == allowed_.end() || now_allowed->second != key)
    return nullptr;
  auto it = entries_.find(MacOf(header));
  if (it != entries_.end()) {
    // Added meanwhile (the agent, or another request of the file).
    if (memcmp(it->second.fields.data(), header, kFieldsSize) != 0)
      return nullptr;
    return it->second.keys;
  }
  KeepMadeLocked(MacOf(header), header, keys);
  opened_++;
  return keys;
}

std::shared_ptr<const FileKeys> CipherTable::FindOrOpen(
    const uint8_t* header) {
  std::shared_ptr<const FileKeys> keys = Find(header);
  return keys ? keys : Open(header);
}

size_t CipherTable::MadeCount() {
  std::lock_guard<std::mutex> lock(mu_);
  return made_count_;
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
  // The agent's cache orders its own entries by use; made ones are not
  // among them.
  if (!it->second.touched && !it->second.made) {
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

void CipherTable::KeptContexts(const std::shared_ptr<const FileKeys>& keys) {
  std::shared_ptr<const FileKeys> oldest;
  {
    std::lock_guard<std::mutex> lock(kept_mu_);
    kept_.push_back(keys);
    if (kept_.size() > kMaxContextsKept) {
      oldest = kept_.front().lock();
      kept_.pop_front();
    }
  }
  // Its lock is taken with no other held: Transform holds a file's lock
  // alone too.
  if (oldest && oldest != keys) {
    std::lock_guard<std::mutex> lock(oldest->mu);
    oldest->DropContextsLocked();
  }
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

size_t CipherTable::TakeHeaders(
    const std::string& where, std::vector<std::unique_ptr<uint8_t[]>>* out,
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
  while (!pool.empty() && pool.front().made < oldest) {
    // No file will use its keys: they go with it.
    auto entry = entries_.find(MacOf(pool.front().header.get()));
    if (entry != entries_.end() && entry->second.made) EraseLocked(entry);
    pool.pop_front();
  }
  size_t n = 0;
  while (n < max && !pool.empty() &&
         (n == 0 || pool.front().made >= oldest_spare)) {
    out->push_back(std::move(pool.front().header));
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
    if (table->TakeHeaders(
            PoolKey(AttrString(v.guard_point), AttrString(v.policy_name)),
            &reply->owned, 1 + TAKAKRYPT_MAX_SPARE_HEADERS) == 0)
      return Served::kNo;
    LayOutHeaderReply(reply, v.fixed.request_id);
    return Served::kYes;
  }
  if (v.fixed.op == TAKAKRYPT_CRYPT_OPEN_HEADER) {
    // A whole header the agent already opened and verified: nothing to
    // check again. A short one (plaintext) is the agent's to refuse.
    if (v.fixed.length != TAKAKRYPT_FILE_HEADER_SIZE ||
        table->FindOrOpen(v.header->data) == nullptr)
      return Served::kNo;
    LayOutStatusReply(reply, v.fixed.request_id);
    return Served::kYes;
  }
  if (!IsDataOp(v.fixed.op)) return Served::kNo;
  uint64_t first = v.fixed.first_unit;
  if (first > kMaxUnitIndex || v.units.size() - 1 > kMaxUnitIndex - first)
    return Served::kNo;
  std::shared_ptr<const FileKeys> keys = table->FindOrOpen(v.header->data);
  if (!keys) return Served::kNo;
  bool encrypt = v.fixed.op == TAKAKRYPT_CRYPT_ENCRYPT;
  bool first_kept = false;
  if (!Transform(*keys, encrypt, first, v.units, failure, &first_kept)) {
    // Half-done units are of no use to anyone: zeros go on instead.
    for (const NlAttr* u : v.units)
      explicit_bzero(const_cast<uint8_t*>(u->data), u->len);
    return Served::kFailed;
  }
  if (first_kept) table->KeptContexts(keys);
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
         InstanceMethod<&CipherTableWrap::MakeHeaders>("makeHeaders"),
         InstanceMethod<&CipherTableWrap::AllowKey>("allowKey"),
         InstanceMethod<&CipherTableWrap::GetPooled>("pooled")});
    DefineGetters(
        constructor,
        {{"size", CheckedGetterCallback<CipherTableWrap,
                                        &CipherTableWrap::GetSize>},
         {"capacity", CheckedGetterCallback<CipherTableWrap,
                                            &CipherTableWrap::GetCapacity>},
         {"madeCount", CheckedGetterCallback<CipherTableWrap,
                                             &CipherTableWrap::GetMadeCount>},
         {"xtsContexts",
          CheckedGetterCallback<CipherTableWrap,
                                &CipherTableWrap::GetXtsContexts>},
         {"keysAllowed",
          CheckedGetterCallback<CipherTableWrap,
                                &CipherTableWrap::GetKeysAllowed>}});
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

  // A key version: an integer from 0 to 4294967295.
  static bool KeyVersionArg(const Napi::Value& value, uint32_t* out) {
    if (!value.IsNumber()) return false;
    double d = value.As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d <= 4294967295.0) || std::floor(d) != d) return false;
    *out = static_cast<uint32_t>(d);
    return true;
  }

  // makeHeaders(guardPoint, policyName, keyName, keyVersion, material,
  // count) -> number: headers made for new files and stocked.
  Napi::Value MakeHeaders(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* usage =
        "expected makeHeaders(guardPoint: string, policyName: string, "
        "keyName: string, keyVersion: integer 0..4294967295, material: "
        "32-byte Buffer, count: integer 1..256)";
    std::string where;
    uint32_t version = 0;
    if (info.Length() != 6 || !PoolKeyArg(info, &where) ||
        !info[2].IsString() || !KeyVersionArg(info[3], &version) ||
        !info[5].IsNumber())
      return ThrowTypeError(env, usage);
    std::string key_name = info[2].As<Napi::String>().Utf8Value();
    double count = info[5].As<Napi::Number>().DoubleValue();
    Bytes material;
    if (!(count >= 1 && count <= 256) || std::floor(count) != count ||
        !AsBytes(info[4], &material) || material.length != 32)
      return ThrowTypeError(env, usage);
    // No JavaScript runs from here on: the material stays where it is.
    size_t made = table_->MakeHeaders(where, key_name, version, material.data,
                                      static_cast<size_t>(count));
    return Napi::Number::New(env, static_cast<double>(made));
  }

  // allowKey(keyName, keyVersion, material, path, stamp) -> boolean: the
  // receive thread may open headers of this key version (CipherTable::
  // AllowKey); `stamp` is 7 little-endian u64 (dev, ino, size, mtime ns,
  // ctime ns, mode, uid) of the key file at `path`.
  Napi::Value AllowKey(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* usage =
        "expected allowKey(keyName: string, keyVersion: integer "
        "0..4294967295, material: 32-byte Buffer, path: absolute path, "
        "stamp: 56-byte Buffer)";
    uint32_t version = 0;
    if (info.Length() != 5 || !info[0].IsString() ||
        !KeyVersionArg(info[1], &version) || !info[3].IsString())
      return ThrowTypeError(env, usage);
    std::string key_name = info[0].As<Napi::String>().Utf8Value();
    std::string path = info[3].As<Napi::String>().Utf8Value();
    Bytes material, stamp;
    if (!AsBytes(info[2], &material) || material.length != 32 ||
        !AsBytes(info[4], &stamp) ||
        stamp.length != sizeof(CipherTable::KeyFileStamp) || path.empty() ||
        path[0] != '/' || path.find('\0') != std::string::npos)
      return ThrowTypeError(env, usage);
    CipherTable::KeyFileStamp s;
    for (size_t i = 0; i < 7; i++) {
      uint64_t v = 0;
      for (size_t b = 0; b < 8; b++)
        v |= static_cast<uint64_t>(stamp.data[i * 8 + b]) << (8 * b);
      s.field[i] = v;
    }
    // No JavaScript runs from here on: the material stays where it is.
    bool kept = table_->AllowKey(key_name, version, material.data, path, s);
    return Napi::Boolean::New(env, kept);
  }

  // keysAllowed -> {keys, opened}: key versions the receive thread may
  // open headers with, and headers it opened.
  Napi::Value GetKeysAllowed(const Napi::CallbackInfo& info) {
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("keys", static_cast<double>(table_->KeysAllowed()));
    out.Set("opened", static_cast<double>(table_->OpenedCount()));
    return out;
  }

  // xtsContexts -> {live, made}: the AES-256-XTS contexts this table's
  // keys hold now and have set up in all.
  Napi::Value GetXtsContexts(const Napi::CallbackInfo& info) {
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("live", static_cast<double>(table_->ContextsLive()));
    out.Set("made", static_cast<double>(table_->ContextsMade()));
    return out;
  }

  // madeCount -> entries made by makeHeaders the agent has not added since.
  Napi::Value GetMadeCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(),
                             static_cast<double>(table_->MadeCount()));
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
  CryptReplyMessage reply(
      reinterpret_cast<const nlmsghdr*>(msg.data)->nlmsg_type);
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
