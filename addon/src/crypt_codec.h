// The data path's codec: a CRYPT_REQ message to a native request (its
// data units gathered into one block) and a CRYPT_REPLY written straight
// from the JS Buffers it answers with.
#pragma once

#include <napi.h>
#include <sys/uio.h>
#include <takakrypt.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "netlink.h"

namespace tk {

// The largest first_unit a JS number holds exactly (2^53 - 1).
constexpr uint64_t kMaxSafeUnit = 9007199254740991ULL;

// A decoded CRYPT_REQ. `header` and `data` are heap blocks handed over to
// JS as Buffers (zeroed when collected: they may hold plaintext).
struct CryptRequest {
  CryptRequest() = default;
  CryptRequest(const CryptRequest&) = delete;
  CryptRequest& operator=(const CryptRequest&) = delete;
  // Blocks never handed to JS (a refused or undelivered request) are
  // wiped here.
  ~CryptRequest();

  takakrypt_crypt_req fixed = {};
  std::string guard_point;
  std::string path;
  std::string policy_name;
  std::unique_ptr<uint8_t[]> header;  // TAKAKRYPT_FILE_HEADER_SIZE bytes
  uint8_t* data = nullptr;  // fixed.length bytes from the block pool
  // Set when the addon answered the request itself and OpenSSL failed on
  // the way: the agent reports the failure; `data` is not to be used.
  std::string failure;
};

// A checked CRYPT_REQ, its attributes pointing into the message.
struct CryptView {
  takakrypt_crypt_req fixed = {};
  bool fixed_read = false;  // `fixed` holds the message's fixed part
  std::vector<NlAttr> list;
  const NlAttr* header = nullptr;
  const NlAttr* guard_point = nullptr;
  const NlAttr* path = nullptr;
  const NlAttr* policy_name = nullptr;
  std::vector<const NlAttr*> units;  // whole units, the last may be shorter
};

// Check a CRYPT_REQ's attributes as DecodeCryptRequest does, copying
// nothing. On failure returns false and says why in `why`.
bool ParseCryptRequest(const uint8_t* attrs, size_t len, CryptView* view,
                       std::string* why);

// Copy a view that ParseCryptRequest accepted into `out`.
void TakeCryptRequest(const CryptView& view, CryptRequest* out);

// A checked string attribute without its NUL; "" when absent.
std::string AttrString(const NlAttr* a);

// Decode the attributes of a CRYPT_REQ. On failure returns false and says
// why in `why`; `out->fixed.request_id` is set whenever the fixed part was
// readable, so that the request can still be refused.
bool DecodeCryptRequest(const uint8_t* attrs, size_t len, CryptRequest* out,
                        std::string* why);

// Whether `op` carries data units (ENCRYPT, DECRYPT).
bool IsDataOp(uint32_t op);

// The JS object for a decoded request; takes its header and data blocks.
Napi::Object CryptRequestToJs(Napi::Env env, CryptRequest* req);

// A CRYPT_REPLY ready to send: the fixed part in `head`, then `parts`
// pointing into the caller's Buffers (valid while they are alive).
struct CryptReplyMessage {
  explicit CryptReplyMessage(uint16_t family);
  NlMessage head;
  std::vector<iovec> parts;
  std::vector<nlattr> attr_headers;
  // Headers the parts point at (a NEW_HEADER reply's, from the pool).
  std::vector<std::unique_ptr<uint8_t[]>> owned;
  // Count the parts in the header's length, once laid out.
  void Seal();
};

// Lay out a successful reply to a data request whose units the addon
// transformed in place: `units` point into the request's message.
void LayOutDataReply(CryptReplyMessage* out, uint32_t request_id,
                     uint32_t length,
                     const std::vector<const NlAttr*>& units);

// Lay out a successful reply carrying nothing but its status (0).
void LayOutStatusReply(CryptReplyMessage* out, uint32_t request_id);

// Lay out a successful reply to a NEW_HEADER carrying the 4096-byte
// headers in `out->owned`: the new file's, then spares (takakrypt.h).
void LayOutHeaderReply(CryptReplyMessage* out, uint32_t request_id);

// Read a reply object {requestId, status, reason, header?, data?} and lay
// out its message; false with a pending TypeError if a field is wrong.
// Every property is read (getters run) before a pointer into a Buffer is
// taken. `request_id`, if given, gets the reply's id.
bool CryptReplyFromJs(Napi::Object obj, CryptReplyMessage* out,
                      uint32_t* request_id = nullptr);

// Read the fixed part of a request, for the codec's test entry points.
bool CryptReqFromJs(Napi::Object obj, takakrypt_crypt_req* out);

// Add the crypt codec's test entry points and constants to `codec` and
// `constants`.
void InitCryptCodec(Napi::Env env, Napi::Object codec, Napi::Object constants);

}  // namespace tk
