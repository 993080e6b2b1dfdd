// AES-256-XTS runs of data units: one EVP context per run, the tweak (the
// unit index as a 128-bit little-endian number) reset before each unit.
// The symbols resolve against node's own OpenSSL when the addon is loaded,
// so nothing else is linked. FileCipher (src/crypto/file-cipher.ts)
// validates runs with exact messages; the checks here repeat them cheaply
// and throw TypeError, so no call can reach OpenSSL with bad pointers.
#include "xts_run.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "openssl_util.h"

namespace tk {

namespace {

constexpr size_t kKeySize = 64;
constexpr size_t kBlockSize = 16;
// IEEE 1619 allows at most 2^20 blocks per data unit; OpenSSL enforces it.
constexpr size_t kMaxUnitSize = kBlockSize << 20;
constexpr double kMaxSafeInteger = 9007199254740991.0;

// One unit under tweak (lo, hi): set the tweak, then a single update.
bool TransformUnit(EVP_CIPHER_CTX* ctx, uint64_t lo, uint64_t hi,
                   const uint8_t* in, uint8_t* out, size_t n) {
  uint8_t tweak[kBlockSize];
  for (int i = 0; i < 8; i++) {
    tweak[i] = static_cast<uint8_t>(lo >> (8 * i));
    tweak[8 + i] = static_cast<uint8_t>(hi >> (8 * i));
  }
  int written = 0;
  return EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, tweak, -1) == 1 &&
         EVP_CipherUpdate(ctx, out, &written, in, static_cast<int>(n)) == 1 &&
         static_cast<size_t>(written) == n;
}

}  // namespace

const EVP_CIPHER* FetchedCipher(Aes which) {
  // Fetched once: an explicit fetch spares OpenSSL the implicit look-up on
  // every context. They live as long as the process, like node's own.
  static std::once_flag once;
  static EVP_CIPHER* ciphers[2] = {nullptr, nullptr};
  std::call_once(once, [] {
    ciphers[0] = EVP_CIPHER_fetch(nullptr, "AES-256-XTS", nullptr);
    ciphers[1] = EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr);
  });
  return ciphers[which == Aes::kXts ? 0 : 1];
}

bool IsZero(const uint8_t* p, size_t n) {
  // memcmp is vectorised by the C library; ciphertext and most plaintext
  // differ from zero in the first bytes, so data units cost almost nothing.
  static const uint8_t kZeros[4096] = {};
  for (size_t off = 0; off < n; off += sizeof(kZeros)) {
    size_t len = std::min(sizeof(kZeros), n - off);
    if (memcmp(p + off, kZeros, len) != 0) return false;
  }
  return true;
}

EVP_CIPHER_CTX* NewXtsContext(const uint8_t* key, bool encrypt) {
  const EVP_CIPHER* cipher = FetchedCipher(Aes::kXts);
  EVP_CIPHER_CTX* ctx = cipher ? EVP_CIPHER_CTX_new() : nullptr;
  if (ctx != nullptr && EVP_CipherInit_ex(ctx, cipher, nullptr, key, nullptr,
                                          encrypt ? 1 : 0) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    ctx = nullptr;
  }
  return ctx;
}

bool XtsUnit(EVP_CIPHER_CTX* ctx, uint64_t lo, uint64_t hi,
             const uint8_t* in, uint8_t* out, size_t n, bool zero_units) {
  if (zero_units && IsZero(in, n)) {
    if (out != in) memset(out, 0, n);
    return true;
  }
  if (!TransformUnit(ctx, lo, hi, in, out, n)) return false;
  if (!zero_units || !IsZero(out, n)) return true;
  // The one input sent to zeros takes the place zeros left.
  static const uint8_t kZeros[4096] = {};
  if (n <= sizeof(kZeros)) return TransformUnit(ctx, lo, hi, kZeros, out, n);
  std::vector<uint8_t> zeros(n, 0);
  return TransformUnit(ctx, lo, hi, zeros.data(), out, n);
}

namespace {

// One run, as checked by ParseRun. The pointers are the Buffers' own
// memory: nothing is copied.
struct Run {
  const uint8_t* key = nullptr;
  uint64_t first_unit = 0;
  size_t unit_size = 0;
  const uint8_t* input = nullptr;
  uint8_t* output = nullptr;
  size_t length = 0;
  bool encrypt = false;
  // Apply format v1's zero-unit rule (docs/FORMAT.md 4.3).
  bool zero_units = false;
};

const char* TypeName(Napi::Value v) {
  if (v.IsTypedArray()) return "a typed array other than Uint8Array";
  if (v.IsDataView()) return "DataView";
  if (v.IsArrayBuffer()) return "ArrayBuffer";
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_symbol: return "symbol";
    case napi_function: return "function";
    case napi_bigint: return "bigint";
    default: return "object";
  }
}

// What a bad argument was: "a number 1.5", "a Buffer of 3 bytes", "string".
std::string Describe(Napi::Value v) {
  Bytes bytes;
  if (AsBytes(v, &bytes)) {
    return "a Buffer of " + std::to_string(bytes.length) + " bytes";
  }
  if (v.IsNumber() || v.IsBigInt()) {
    return std::string("a ") + TypeName(v) + " " + v.ToString().Utf8Value();
  }
  return TypeName(v);
}

bool Fail(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

bool ParseFirstUnit(Napi::Value v, uint64_t* out) {
  if (v.IsBigInt()) {
    bool lossless = false;
    *out = v.As<Napi::BigInt>().Uint64Value(&lossless);
    return lossless;
  }
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= kMaxSafeInteger) || std::floor(d) != d) return false;
  *out = static_cast<uint64_t>(d);
  return true;
}

bool ParseUnitSize(Napi::Value v, size_t* out) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= kBlockSize && d <= kMaxUnitSize) || std::floor(d) != d) {
    return false;
  }
  *out = static_cast<size_t>(d);
  return *out % kBlockSize == 0;
}

bool Overlap(const uint8_t* a, const uint8_t* b, size_t n) {
  return a != b && a < b + n && b < a + n;
}

// Check the seven arguments into `run`; false with a TypeError pending.
bool ParseRun(const Napi::CallbackInfo& info, Run* run) {
  Napi::Env env = info.Env();
  if (info.Length() != 7) {
    return Fail(env, "expected 7 arguments, got " +
                         std::to_string(info.Length()));
  }
  Bytes key, input, output;
  if (!AsBytes(info[0], &key) || key.length != kKeySize) {
    return Fail(env, "expected key to be a Buffer of 64 bytes, got " +
                         Describe(info[0]));
  }
  if (!ParseFirstUnit(info[1], &run->first_unit)) {
    return Fail(env,
                "expected firstUnit to be a safe integer >= 0 or a bigint "
                "from 0 to 2^64-1, got " + Describe(info[1]));
  }
  if (!ParseUnitSize(info[2], &run->unit_size)) {
    return Fail(env,
                "expected unitSize to be a multiple of 16 from 16 to "
                "16777216, got " + Describe(info[2]));
  }
  if (!AsBytes(info[3], &input)) {
    return Fail(env, "expected input to be a Buffer, got " +
                         Describe(info[3]));
  }
  size_t tail = input.length % run->unit_size;
  if (tail != 0 && tail < kBlockSize) {
    return Fail(env,
                "expected input to end with a unit of at least 16 bytes, got "
                "a final unit of " + std::to_string(tail) + " bytes");
  }
  if (!AsBytes(info[4], &output) || output.length < input.length) {
    return Fail(env, "expected output to be a Buffer of at least " +
                         std::to_string(input.length) + " bytes, got " +
                         Describe(info[4]));
  }
  if (Overlap(input.data, output.data, input.length)) {
    return Fail(env,
                "expected output to be input itself or not to overlap it, "
                "got overlapping Buffers");
  }
  if (!info[5].IsBoolean() || !info[6].IsBoolean()) {
    size_t bad = info[5].IsBoolean() ? 6 : 5;
    return Fail(env, std::string("expected ") +
                         (bad == 5 ? "encrypt" : "zeroUnits") +
                         " to be a boolean, got " + Describe(info[bad]));
  }
  run->key = key.data;
  run->input = input.data;
  run->output = output.data;
  run->length = input.length;
  run->encrypt = info[5].As<Napi::Boolean>().Value();
  run->zero_units = info[6].As<Napi::Boolean>().Value();
  return true;
}

// A context with the key schedule of `run` set up, or null.
EVP_CIPHER_CTX* NewContext(const Run& run) {
  return NewXtsContext(run.key, run.encrypt);
}

// Every unit of `run` with `ctx`; false when OpenSSL fails.
bool RunUnits(EVP_CIPHER_CTX* ctx, const Run& run) {
  uint64_t lo = run.first_unit, hi = 0;
  for (size_t off = 0; off < run.length; off += run.unit_size) {
    size_t n = std::min(run.unit_size, run.length - off);
    if (!XtsUnit(ctx, lo, hi, run.input + off, run.output + off, n,
                 run.zero_units)) {
      return false;
    }
    if (++lo == 0) ++hi;
  }
  return true;
}

Napi::Value XtsRunSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Run run;
  if (!ParseRun(info, &run)) return env.Undefined();
  EVP_CIPHER_CTX* ctx = NewContext(run);
  std::string failure;
  if (ctx == nullptr) {
    failure = TakeOpenSslError("AES-256-XTS key set-up");
  } else if (!RunUnits(ctx, run)) {
    failure = TakeOpenSslError("AES-256-XTS data unit");
  }
  EVP_CIPHER_CTX_free(ctx);
  if (!failure.empty()) OpenSslError(env, failure).ThrowAsJavaScriptException();
  return env.Undefined();
}

// A run on a pool thread. The key schedule is set up before queueing, so
// the key Buffer may be wiped as soon as the call returns; references keep
// input and output alive until the promise settles.
class XtsWorker : public Napi::AsyncWorker {
 public:
  XtsWorker(const Napi::CallbackInfo& info, const Run& run,
            EVP_CIPHER_CTX* ctx)
      : Napi::AsyncWorker(info.Env(), "xtsRun"),
        deferred_(Napi::Promise::Deferred::New(info.Env())),
        run_(run),
        ctx_(ctx),
        input_(Napi::Persistent(info[3].As<Napi::Object>())),
        output_(Napi::Persistent(info[4].As<Napi::Object>())) {}

  ~XtsWorker() override { EVP_CIPHER_CTX_free(ctx_); }

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    if (!RunUnits(ctx_, run_)) {
      failure_ = TakeOpenSslError("AES-256-XTS data unit");
    }
  }

  void OnOK() override {
    if (failure_.empty()) {
      deferred_.Resolve(Env().Undefined());
    } else {
      deferred_.Reject(OpenSslError(Env(), failure_).Value());
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  Run run_;
  EVP_CIPHER_CTX* ctx_;
  Napi::ObjectReference input_;
  Napi::ObjectReference output_;
  std::string failure_;
};

Napi::Value XtsRunAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Run run;
  if (!ParseRun(info, &run)) return env.Undefined();
  EVP_CIPHER_CTX* ctx = NewContext(run);
  if (ctx == nullptr) {
    std::string failure = TakeOpenSslError("AES-256-XTS key set-up");
    OpenSslError(env, failure).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  XtsWorker* worker = new XtsWorker(info, run, ctx);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void InitXtsRun(Napi::Env env, Napi::Object exports) {
  exports.Set("xtsRun", Napi::Function::New(env, XtsRunSync));
  exports.Set("xtsRunAsync", Napi::Function::New(env, XtsRunAsync));
}

}  // namespace tk
