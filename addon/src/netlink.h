// Raw generic netlink plumbing: building messages, walking attributes,
// reading acknowledgements, and resolving a family by name. No N-API.
#pragma once

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tk {

// A generic netlink message under construction.
class NlMessage {
 public:
  NlMessage(uint16_t type, uint16_t flags, uint8_t cmd, uint8_t version);
  void PutAttr(uint16_t type, const void* data, size_t len);
  void PutString(uint16_t type, const std::string& value);
  void SetSeq(uint32_t seq);
  // Count `len` more bytes that are sent after these (SendMessageParts).
  void AddLength(size_t len);
  const uint8_t* data() const { return buf_.data(); }
  size_t size() const { return buf_.size(); }

 private:
  std::vector<uint8_t> buf_;
};

// One attribute inside a received message; `data` points into it.
struct NlAttr {
  uint16_t type;
  const uint8_t* data;
  size_t len;
};

// Split [p, p + len) into attributes; false if the bytes are malformed.
bool ParseAttrs(const uint8_t* p, size_t len, std::vector<NlAttr>* out);

// The outcome of a request, from an NLMSG_ERROR message.
struct NlAck {
  uint32_t seq = 0;
  int error = 0;        // 0 or a positive errno
  std::string message;  // the kernel's extended ack text, if any
};

// Decode an NLMSG_ERROR message; false if it is truncated.
bool ParseAck(const nlmsghdr* hdr, NlAck* out);

// Open a NETLINK_GENERIC socket with extended acks enabled; -errno on
// failure.
int OpenGenlSocket();

// Send `msg` on `fd`; 0 or a positive errno.
int SendMessage(int fd, const NlMessage& msg);

// Send `msg` followed by `parts` (already counted with AddLength) as one
// datagram, without copying them; 0 or a positive errno.
int SendMessageParts(int fd, const NlMessage& msg,
                     const std::vector<struct iovec>& parts);

// Ask the controller for family `name` on `fd` (before any other traffic
// on it). Returns 0 and sets `id`, or a positive errno and sets
// `message`.
int ResolveFamily(int fd, const char* name, uint16_t* id,
                  std::string* message);

}  // namespace tk
