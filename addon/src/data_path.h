// The data path in the addon: the keys of files the agent has opened (it
// registers each one after checking its header) and the ENCRYPT and
// DECRYPT requests for those files answered on the receive thread, with
// no trip through JavaScript. Any other request, or one for a file not
// registered, goes to the agent as before.
#pragma once

#include <napi.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "crypt_codec.h"

namespace tk {

// A file's content keys (format v1: the AES-256-XTS key and the key of the
// short-tail keystream); wiped when the last user lets go.
struct FileKeys {
  uint8_t xts[64];
  uint8_t tail[32];
  FileKeys() = default;
  FileKeys(const FileKeys&) = delete;
  FileKeys& operator=(const FileKeys&) = delete;
  ~FileKeys();
};

// File header -> keys, for headers whose reserved area is zero (the agent
// keeps any other header to itself). Found by the header's MAC, then
// compared field by field: a header that differs anywhere is not served.
// Thread-safe.
class CipherTable {
 public:
  explicit CipherTable(size_t capacity) : capacity_(capacity) {}
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

 private:
  struct Entry {
    std::array<uint8_t, 128> fields;
    std::shared_ptr<const FileKeys> keys;
    bool touched = false;
  };
  const size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // by MAC
  std::string touched_;  // MACs, in the order first touched
};

enum class Served {
  kNo,      // not a data request for a registered file: the agent's
  kYes,     // transformed in place; `reply` is laid out over the message
  kFailed,  // OpenSSL failed part-way; `failure` says how
};

// Answer the CRYPT_REQ whose attributes are [attrs, attrs + len) from
// `table`: its units are transformed where they are. On kYes and kFailed
// `request_id` is the request's. On kFailed the units may be half-done
// and the request must be failed, not retried.
Served ServeData(uint8_t* attrs, size_t len, CipherTable* table,
                 CryptReplyMessage* reply, uint32_t* request_id,
                 std::string* failure);

// The JavaScript class CipherTable over a shared table.
std::shared_ptr<CipherTable> UnwrapCipherTable(Napi::Value v);

// Adds the CipherTable class to `exports` and the test entry point
// serveCryptMessage(table, message) to `codec`.
void InitDataPath(Napi::Env env, Napi::Object exports, Napi::Object codec);

}  // namespace tk
