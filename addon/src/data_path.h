// The data path in the addon: the keys of files the agent has opened (it
// registers each one after checking its header) and the ENCRYPT and
// DECRYPT requests for those files answered on the receive thread, with
// no trip through JavaScript. Any other request, or one for a file not
// registered, goes to the agent as before.
#pragma once

#include <napi.h>
#include <openssl/evp.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <deque>
#include <unordered_map>
#include <vector>

#include "crypt_codec.h"

namespace tk {

// How many AES-256-XTS contexts the keys of one table hold now, and how
// many they set up in all.
struct ContextCount {
  std::atomic<size_t> live{0};
  std::atomic<size_t> made{0};
};

// A file's content keys (format v1: the AES-256-XTS key and the key of the
// short-tail keystream); wiped when the last user lets go.
struct FileKeys {
  uint8_t xts[64];
  uint8_t tail[32];
  // The XTS contexts with this key set up ([0] decrypts, [1] encrypts),
  // made by the first request of each direction and kept for the next:
  // setting one up costs about as much as a 4 KiB unit. Guarded by `mu`;
  // freed (OpenSSL wipes the key schedule) with the keys or when the
  // table lets them go (CipherTable::kMaxContextsKept).
  mutable std::mutex mu;
  mutable EVP_CIPHER_CTX* xts_ctx[2] = {nullptr, nullptr};
  // The table's count, kept up to date here (it outlives the table).
  std::shared_ptr<ContextCount> count;
  explicit FileKeys(std::shared_ptr<ContextCount> c) : count(std::move(c)) {}
  FileKeys(const FileKeys&) = delete;
  FileKeys& operator=(const FileKeys&) = delete;
  ~FileKeys();
  // The context for `encrypt`, set up now if there is none; null when
  // OpenSSL fails (its error left queued). The caller holds `mu`.
  EVP_CIPHER_CTX* ContextLocked(bool encrypt) const;
  // Frees the kept contexts; the caller holds `mu`.
  void DropContextsLocked() const;
};

// File header -> keys, for headers whose reserved area is zero (the agent
// keeps any other header to itself). Found by the header's MAC, then
// compared field by field: a header that differs anywhere is not served.
// Thread-safe.
class CipherTable {
 public:
  // Ready-made headers older than `pool_max_age` are not handed out: a key
  // rotated since is in use for new files that much later at most.
  CipherTable(size_t capacity, std::chrono::milliseconds pool_max_age)
      : capacity_(capacity), pool_max_age_(pool_max_age) {}
  // False when the header's reserved area is not zero (an entry with its
  // MAC is dropped then) or the table is full.
  bool Add(const uint8_t* header, const uint8_t* xts, const uint8_t* tail);
  bool Remove(const uint8_t* mac);
  void Clear();
  size_t Size();
  size_t Capacity() const { return capacity_; }
  // The keys registered for exactly this 4096-byte header, or null. A
  // hit marks the entry as touched.
  std::shared_ptr<const FileKeys> Find(const uint8_t* header);
  // The MACs (32 bytes each) of the entries touched since the last call:
  // the agent's cache never sees the requests answered here and keeps
  // these files as recently used.
  std::string TakeTouched();

  // Keep `header` (4096 bytes, its keys already added) for a new file of
  // `where` (guard point and policy name, PoolKey); false when that pool
  // holds kMaxPooled already.
  bool Stock(const std::string& where, const uint8_t* header);
  // Up to `max` headers for `where`, oldest first, moved to the end of
  // `out`; how many (0: none). The first was made at most
  // pool_max_age ago. The others are spares, which the kernel keeps for
  // TAKAKRYPT_SPARE_HEADER_TTL_MS more: they were made at most that much
  // less ago, so no header reaches a new file later than pool_max_age
  // after it was made.
  size_t TakeHeaders(const std::string& where,
                     std::vector<std::unique_ptr<uint8_t[]>>* out, size_t max);
  size_t Pooled(const std::string& where);
  static constexpr size_t kMaxPooled = 256;

  // Make up to `count` headers for new files of `where` under key
  // `key_name` version `key_version`, from its 32 bytes of `material`
  // (docs/FORMAT.md, the same bytes as the agent's createFileCipher), each
  // with a fresh random nonce; register their keys and stock them. The
  // entries made here are the table's own, not the agent's cache's: when
  // more than kMaxMade are kept the oldest go, unless the agent added the
  // same header since. Returns how many were stocked (fewer when the pool
  // is full, the key identity is not one a header holds, or OpenSSL
  // failed).
  size_t MakeHeaders(const std::string& where, const std::string& key_name,
                     uint32_t key_version, const uint8_t* material,
                     size_t count);
  static constexpr size_t kMaxMade = 16384;
  size_t MadeCount();

  // The identity of a key file as lstat gives it: device, inode, size,
  // modification and change times in ns, mode, owner. The agent's key
  // store checks the same fields before every use of the file.
  struct KeyFileStamp {
    uint64_t field[7];
  };
  // Let the receive thread open headers of key `key_name` version
  // `key_version` itself: `material` (32 bytes) came from the key file
  // at `path` while it had `stamp`. Replaces what the key had; false
  // (nothing kept) for a key identity no header holds or when
  // kMaxKeysAllowed others are kept. Clear() wipes them all.
  bool AllowKey(const std::string& key_name, uint32_t key_version,
                const uint8_t* material, const std::string& path,
                const KeyFileStamp& stamp);
  static constexpr size_t kMaxKeysAllowed = 4096;
  size_t KeysAllowed();
  // The keys of `header` (4096 bytes), opened here: its key is allowed,
  // its key file still has the stamp it had (one lstat; a key whose file
  // changed is dropped), and the header is byte for byte the one
  // MakeHeaders would make from its nonce (so its MAC and key check value
  // are right). The entry is the table's own, like a made one. Null (the
  // agent's, which reports why) otherwise.
  std::shared_ptr<const FileKeys> Open(const uint8_t* header);
  // Find(header), else Open(header): the keys a request can be served
  // with, or null.
  std::shared_ptr<const FileKeys> FindOrOpen(const uint8_t* header);
  size_t OpenedCount() const { return opened_; }

  // `keys` now keeps a context (FileKeys::xts_ctx) and kept none before.
  // At most kMaxContextsKept files keep theirs (about 1.8 KiB per file
  // with both directions): past that, the file that started keeping them
  // first lets them go (it makes them again when next used). Call without
  // holding `keys->mu`.
  void KeptContexts(const std::shared_ptr<const FileKeys>& keys);
  static constexpr size_t kMaxContextsKept = 1024;
  // Contexts the keys of this table hold now, and set up in all.
  size_t ContextsLive() const { return contexts_->live; }
  size_t ContextsMade() const { return contexts_->made; }

 private:
  struct ReadyHeader {
    std::unique_ptr<uint8_t[]> header;
    std::chrono::steady_clock::time_point made;
  };
  struct Entry {
    std::array<uint8_t, 128> fields;
    std::shared_ptr<const FileKeys> keys;
    bool touched = false;
    bool made = false;  // by MakeHeaders, and not added by the agent since
  };
  struct AllowedKey {
    uint8_t material[32];
    std::string path;
    KeyFileStamp stamp;
    AllowedKey() = default;
    AllowedKey(const AllowedKey&) = delete;
    AllowedKey& operator=(const AllowedKey&) = delete;
    ~AllowedKey();
  };
  void EraseLocked(std::unordered_map<std::string, Entry>::iterator it);
  // Keep a made (table-own) entry; the oldest made go past kMaxMade.
  // False when an entry has this MAC already.
  bool KeepMadeLocked(std::string mac, const uint8_t* header,
                      std::shared_ptr<FileKeys> keys);
  const size_t capacity_;
  const std::chrono::milliseconds pool_max_age_;
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<ReadyHeader>> pools_;
  std::unordered_map<std::string, Entry> entries_;  // by MAC
  std::string touched_;  // MACs, in the order first touched
  std::deque<std::string> made_;  // MACs of entries made here, oldest first
  size_t made_count_ = 0;         // entries whose `made` is set
  // Keys the receive thread may open headers with, by name "\0" version.
  std::unordered_map<std::string, std::shared_ptr<const AllowedKey>> allowed_;
  std::atomic<size_t> opened_{0};
  // Shared with every FileKeys made here, which keep it up to date.
  const std::shared_ptr<ContextCount> contexts_ =
      std::make_shared<ContextCount>();
  // Keys that started keeping contexts, oldest first; their own lock.
  std::mutex kept_mu_;
  std::deque<std::weak_ptr<const FileKeys>> kept_;
};

// The pool of a guard point and policy name, as a NEW_HEADER names them.
std::string PoolKey(const std::string& guard_point,
                    const std::string& policy_name);

enum class Served {
  kNo,      // not a data request for a registered file: the agent's
  kYes,     // transformed in place; `reply` is laid out over the message
  kFailed,  // OpenSSL failed part-way; `failure` says how
};

// Answer the CRYPT_REQ whose attributes are [attrs, attrs + len) from
// `table`: a NEW_HEADER with a ready-made header of its guard point and
// policy (and up to TAKAKRYPT_MAX_SPARE_HEADERS spares), an OPEN_HEADER
// of a whole header in the table with success, an ENCRYPT or DECRYPT of
// a file in the table with its units transformed where they are. On kYes
// and kFailed `request_id` is the request's. On kFailed the units may be
// half-done and the request must be failed, not retried.
Served ServeData(uint8_t* attrs, size_t len, CipherTable* table,
                 CryptReplyMessage* reply, uint32_t* request_id,
                 std::string* failure);

// ServeData of a request ParseCryptRequest already accepted (its units
// are transformed where the view points).
Served ServeParsed(const CryptView& view, CipherTable* table,
                   CryptReplyMessage* reply, std::string* failure);

// The JavaScript class CipherTable over a shared table.
std::shared_ptr<CipherTable> UnwrapCipherTable(Napi::Value v);

// Adds the CipherTable class to `exports` and the test entry point
// serveCryptMessage(table, message) to `codec`.
void InitDataPath(Napi::Env env, Napi::Object exports, Napi::Object codec);

}  // namespace tk
