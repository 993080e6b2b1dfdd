// HMAC and HKDF (RFC 5869) in one native call each, through the OpenSSL
// that node exports. A file's header costs one HMAC over 4 KiB and its
// keys one HKDF extract and four expands; through node:crypto each HMAC is
// a JavaScript object with three native calls, which under emulation cost
// more than the hashing itself. src/crypto/hkdf.ts checks the hash and
// the output lengths; the checks here cover every argument and throw
// TypeError or RangeError, so no call reaches OpenSSL with bad pointers.
#include "kdf.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <mutex>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "openssl_util.h"

namespace tk {

namespace {

// The hashes the format uses: SHA-512 for keys, SHA-256 for the header
// MAC (and the RFC 5869 test vectors). Fetched once: OpenSSL 3 otherwise
// looks each one up by name on every use, which under emulation cost more
// than the hashing of a file's keys.
const EVP_MD* Fetched(int which) {
  static std::once_flag once;
  static EVP_MD* digests[2] = {nullptr, nullptr};
  std::call_once(once, [] {
    digests[0] = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    digests[1] = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  });
  return digests[which];
}

const EVP_MD* Digest(Napi::Value v) {
  if (!v.IsString()) return nullptr;
  std::string name = v.As<Napi::String>().Utf8Value();
  if (name == "sha256") return Fetched(0);
  if (name == "sha512") return Fetched(1);
  return nullptr;
}

// HMAC (RFC 2104) keyed once: the hash states after the inner and the
// outer padded key, copied for each message. HKDF's expand step MACs
// several messages under one key; each then costs two hash finals.
class KeyedHmac {
 public:
  KeyedHmac() = default;
  KeyedHmac(const KeyedHmac&) = delete;
  KeyedHmac& operator=(const KeyedHmac&) = delete;
  ~KeyedHmac() {
    // Freeing a digest context wipes its state.
    EVP_MD_CTX_free(inner_);
    EVP_MD_CTX_free(outer_);
    EVP_MD_CTX_free(work_);
  }

  bool Init(const EVP_MD* md, const uint8_t* key, size_t key_len) {
    constexpr size_t kMaxBlock = 128;
    int block_size = md == nullptr ? 0 : EVP_MD_get_block_size(md);
    if (block_size <= 0 || static_cast<size_t>(block_size) > kMaxBlock)
      return false;
    size_t block = static_cast<size_t>(block_size);
    uint8_t k0[kMaxBlock] = {};
    unsigned int n = 0;
    bool ok = true;
    if (key_len > block) {
      ok = EVP_Digest(key, key_len, k0, &n, md, nullptr) == 1;
    } else if (key_len > 0) {
      std::memcpy(k0, key, key_len);
    }
    inner_ = EVP_MD_CTX_new();
    outer_ = EVP_MD_CTX_new();
    work_ = EVP_MD_CTX_new();
    uint8_t pad[kMaxBlock];
    ok = ok && inner_ != nullptr && outer_ != nullptr && work_ != nullptr;
    for (int round = 0; ok && round < 2; round++) {
      uint8_t x = round == 0 ? 0x36 : 0x5c;
      EVP_MD_CTX* ctx = round == 0 ? inner_ : outer_;
      for (size_t i = 0; i < block; i++) pad[i] = k0[i] ^ x;
      ok = EVP_DigestInit_ex(ctx, md, nullptr) == 1 &&
           EVP_DigestUpdate(ctx, pad, block) == 1;
    }
    OPENSSL_cleanse(k0, sizeof(k0));
    OPENSSL_cleanse(pad, sizeof(pad));
    size_ = static_cast<size_t>(EVP_MD_get_size(md));
    return ok;
  }

  // HMAC of [data, data + len) into `out` (the hash's size).
  bool Mac(const uint8_t* data, size_t len, uint8_t* out) {
    uint8_t inner[EVP_MAX_MD_SIZE];
    unsigned int n = 0, m = 0;
    bool ok = EVP_MD_CTX_copy_ex(work_, inner_) == 1 &&
              EVP_DigestUpdate(work_, data, len) == 1 &&
              EVP_DigestFinal_ex(work_, inner, &n) == 1 &&
              EVP_MD_CTX_copy_ex(work_, outer_) == 1 &&
              EVP_DigestUpdate(work_, inner, n) == 1 &&
              EVP_DigestFinal_ex(work_, out, &m) == 1 && m == size_;
    OPENSSL_cleanse(inner, sizeof(inner));
    return ok;
  }

 private:
  EVP_MD_CTX* inner_ = nullptr;
  EVP_MD_CTX* outer_ = nullptr;
  EVP_MD_CTX* work_ = nullptr;
  size_t size_ = 0;
};

// An empty Buffer may have no memory at all; OpenSSL refuses a null key
// even of length 0, so empty inputs point here instead.
const uint8_t kEmpty = 0;

bool AsBytes(Napi::Value v, const uint8_t** data, size_t* length) {
  Bytes bytes;
  if (!AsBytes(v, &bytes)) return false;
  *length = bytes.length;
  *data = bytes.length ? bytes.data : &kEmpty;
  return true;
}

// Throws `error` unless an exception (from a getter the call ran) is
// already pending: that one goes to the caller instead.
Napi::Value Throw(Napi::Error error) {
  if (!error.Env().IsExceptionPending()) error.ThrowAsJavaScriptException();
  return error.Env().Undefined();
}

Napi::Value OpenSslFailure(Napi::Env env, const char* what) {
  return Throw(OpenSslError(env, TakeOpenSslError(what)));
}

// A byte vector that is wiped when it goes: it holds key material.
class Secret {
 public:
  explicit Secret(size_t n) : bytes_(n) {}
  ~Secret() {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  uint8_t* data() { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }

 private:
  std::vector<uint8_t> bytes_;
};

// hmac(hash, key, data) -> Buffer
Napi::Value HmacCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const EVP_MD* md = info.Length() == 3 ? Digest(info[0]) : nullptr;
  const uint8_t *key, *data;
  size_t key_len, data_len;
  if (md == nullptr || !AsBytes(info[1], &key, &key_len) ||
      !AsBytes(info[2], &data, &data_len) || key_len > INT_MAX) {
    return Throw(Napi::TypeError::New(
        env, "expected hmac('sha256' | 'sha512', key Buffer, data Buffer)"));
  }
  size_t size = static_cast<size_t>(EVP_MD_get_size(md));
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, size);
  if (env.IsExceptionPending() || out.IsEmpty()) return env.Undefined();
  KeyedHmac hmac;
  if (!hmac.Init(md, key, key_len) || !hmac.Mac(data, data_len, out.Data())) {
    OPENSSL_cleanse(out.Data(), out.Length());
    return OpenSslFailure(env, "HMAC");
  }
  return out;
}

// The most outputs and the longest info one hkdf call takes: the agent
// asks for 4 outputs with infos of ~40 bytes; node's hkdfSync also caps
// info at 1024 bytes.
constexpr uint32_t kMaxOutputs = 16;
constexpr size_t kMaxInfo = 1024;

// RFC 5869: one extract of `ikm` with `salt`, then one expand per output.
// Each info at most kMaxInfo bytes; false if OpenSSL failed (the outputs
// may then hold part of a key: the caller wipes them).
bool DeriveAll(const EVP_MD* md, const uint8_t* ikm, size_t ikm_len,
               const uint8_t* salt, size_t salt_len,
               const HkdfOutput* outputs, size_t count) {
  const size_t hash_len = static_cast<size_t>(EVP_MD_get_size(md));
  // RFC 5869 2.2: PRK = HMAC(salt, IKM); an empty salt is hash_len zero
  // bytes, which HMAC pads to the same key.
  Secret prk(hash_len);
  {
    KeyedHmac extract;
    if (!extract.Init(md, salt, salt_len) ||
        !extract.Mac(ikm, ikm_len, prk.data()))
      return false;
  }
  KeyedHmac expand;
  if (!expand.Init(md, prk.data(), hash_len)) return false;
  Secret message(hash_len + kMaxInfo + 1);
  Secret block(hash_len);
  for (size_t i = 0; i < count; i++) {
    const HkdfOutput& o = outputs[i];
    // RFC 5869 2.3: T(n) = HMAC(PRK, T(n-1) | info | n).
    size_t previous = 0;
    for (size_t done = 0, n = 1; done < o.length; n++) {
      uint8_t* m = message.data();
      std::memcpy(m, block.data(), previous);
      if (o.info_len) std::memcpy(m + previous, o.info, o.info_len);
      m[previous + o.info_len] = static_cast<uint8_t>(n);
      if (!expand.Mac(m, previous + o.info_len + 1, block.data())) return false;
      size_t take = std::min(hash_len, o.length - done);
      std::memcpy(o.out + done, block.data(), take);
      done += take;
      previous = hash_len;
    }
  }
  return true;
}

// hkdf(hash, ikm, salt, infos, lengths) -> Buffer[]: one extract, then
// one expand per info with its output length. Every element is read
// (which may run a getter) before any pointer into a Buffer is taken, and
// the result array is filled only after the last HMAC, so no JavaScript
// runs while OpenSSL reads or writes Buffer memory.
Napi::Value HkdfCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage =
      "expected hkdf('sha256' | 'sha512', ikm Buffer, salt Buffer, "
      "infos Buffer[], lengths number[] of the same length)";
  const EVP_MD* md = info.Length() == 5 ? Digest(info[0]) : nullptr;
  if (md == nullptr || !info[3].IsArray() || !info[4].IsArray() ||
      info[3].As<Napi::Array>().Length() !=
          info[4].As<Napi::Array>().Length()) {
    return Throw(Napi::TypeError::New(env, usage));
  }
  Napi::Array info_array = info[3].As<Napi::Array>();
  Napi::Array length_array = info[4].As<Napi::Array>();
  const uint32_t count = info_array.Length();
  if (count > kMaxOutputs) {
    return Throw(Napi::RangeError::New(
        env, "expected at most " + std::to_string(kMaxOutputs) +
                 " HKDF outputs, got " + std::to_string(count)));
  }
  Napi::Value info_values[kMaxOutputs];
  Napi::Value length_values[kMaxOutputs];
  for (uint32_t i = 0; i < count; i++) {
    info_values[i] = info_array.Get(i);
    if (env.IsExceptionPending()) return env.Undefined();
    length_values[i] = length_array.Get(i);
    if (env.IsExceptionPending()) return env.Undefined();
  }

  // From here on no JavaScript runs until the result is built.
  const uint8_t *ikm, *salt;
  size_t ikm_len, salt_len;
  if (!AsBytes(info[1], &ikm, &ikm_len) || !AsBytes(info[2], &salt, &salt_len) ||
      salt_len > INT_MAX) {
    return Throw(Napi::TypeError::New(env, usage));
  }
  const size_t hash_len = static_cast<size_t>(EVP_MD_get_size(md));
  struct Output {
    const uint8_t* info;
    size_t info_len;
    size_t length;
  };
  Output outputs[kMaxOutputs];
  for (uint32_t i = 0; i < count; i++) {
    if (!AsBytes(info_values[i], &outputs[i].info, &outputs[i].info_len) ||
        !length_values[i].IsNumber()) {
      return Throw(Napi::TypeError::New(
          env, "expected every info to be a Buffer and every length a number"));
    }
    if (outputs[i].info_len > kMaxInfo) {
      return Throw(Napi::RangeError::New(
          env, "expected an HKDF info of at most " + std::to_string(kMaxInfo) +
                   " bytes, got " + std::to_string(outputs[i].info_len)));
    }
    double n = length_values[i].As<Napi::Number>().DoubleValue();
    if (!(n >= 1 && n <= 255.0 * hash_len) || n != static_cast<size_t>(n)) {
      return Throw(Napi::RangeError::New(
          env, "expected an HKDF output length from 1 to " +
                   std::to_string(255 * hash_len)));
    }
    outputs[i].length = static_cast<size_t>(n);
  }

  // Output Buffers first: allocating may collect garbage but runs no
  // script, and the inputs are held by the call's arguments.
  std::vector<Napi::Buffer<uint8_t>> made;
  made.reserve(count);
  auto wipe_made = [&made]() {
    for (auto& b : made) OPENSSL_cleanse(b.Data(), b.Length());
  };
  for (uint32_t i = 0; i < count; i++) {
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, outputs[i].length);
    if (env.IsExceptionPending() || out.IsEmpty()) {
      wipe_made();
      return env.Undefined();
    }
    made.push_back(out);
  }

  HkdfOutput derived[kMaxOutputs];
  for (uint32_t i = 0; i < count; i++)
    derived[i] = {outputs[i].info, outputs[i].info_len, outputs[i].length,
                  made[i].Data()};
  if (!DeriveAll(md, ikm, ikm_len, salt, salt_len, derived, count)) {
    wipe_made();
    return OpenSslFailure(env, "HKDF");
  }

  // Own data properties: no setter of Array.prototype is called.
  Napi::Array result = Napi::Array::New(env, count);
  for (uint32_t i = 0; i < count; i++) {
    Napi::String key = Napi::String::New(env, std::to_string(i));
    if (!result.DefineProperty(Napi::PropertyDescriptor::Value(
            key, made[i], napi_default_jsproperty)) ||
        env.IsExceptionPending()) {
      wipe_made();
      return env.Undefined();
    }
  }
  return result;
}

}  // namespace

bool HkdfSha512(const uint8_t* ikm, size_t ikm_len, const uint8_t* salt,
                size_t salt_len, const HkdfOutput* outputs, size_t count) {
  const EVP_MD* md = Fetched(1);
  if (md == nullptr || count > kMaxOutputs) return false;
  for (size_t i = 0; i < count; i++) {
    if (outputs[i].info_len > kMaxInfo || outputs[i].length < 1 ||
        outputs[i].length > 255 * 64)
      return false;
  }
  return DeriveAll(md, ikm, ikm_len, salt, salt_len, outputs, count);
}

bool HmacSha256(const uint8_t* key, size_t key_len, const uint8_t* data,
                size_t len, uint8_t out[32]) {
  const EVP_MD* md = Fetched(0);
  KeyedHmac hmac;
  return md != nullptr && hmac.Init(md, key, key_len) &&
         hmac.Mac(data, len, out);
}

void InitKdf(Napi::Env env, Napi::Object exports) {
  exports.Set("hmac", Napi::Function::New(env, HmacCall));
  exports.Set("hkdf", Napi::Function::New(env, HkdfCall));
}

}  // namespace tk
