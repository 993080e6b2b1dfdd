// Raw generic netlink plumbing.
#include "netlink.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tk {

namespace {

constexpr size_t kAlign = NLMSG_ALIGNTO;

size_t Align(size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }

nlmsghdr* Header(std::vector<uint8_t>* buf) {
  return reinterpret_cast<nlmsghdr*>(buf->data());
}

// Wait up to `ms` for a datagram and read it into `buf`; its length, or
// -errno.
ssize_t ReceiveWithin(int fd, std::vector<uint8_t>* buf, int ms) {
  pollfd pfd = {fd, POLLIN, 0};
  int ready = poll(&pfd, 1, ms);
  if (ready < 0) return -errno;
  if (ready == 0) return -ETIMEDOUT;
  ssize_t len = recv(fd, buf->data(), buf->size(), 0);
  return len < 0 ? -errno : len;
}

}  // namespace

NlMessage::NlMessage(uint16_t type, uint16_t flags, uint8_t cmd,
                     uint8_t version)
    : buf_(NLMSG_HDRLEN + GENL_HDRLEN, 0) {
  nlmsghdr* hdr = Header(&buf_);
  hdr->nlmsg_type = type;
  hdr->nlmsg_flags = flags;
  hdr->nlmsg_len = static_cast<uint32_t>(buf_.size());
  genlmsghdr* genl = reinterpret_cast<genlmsghdr*>(buf_.data() + NLMSG_HDRLEN);
  genl->cmd = cmd;
  genl->version = version;
}

void NlMessage::PutAttr(uint16_t type, const void* data, size_t len) {
  size_t start = buf_.size();
  buf_.resize(start + Align(NLA_HDRLEN + len), 0);
  nlattr* attr = reinterpret_cast<nlattr*>(buf_.data() + start);
  attr->nla_type = type;
  attr->nla_len = static_cast<uint16_t>(NLA_HDRLEN + len);
  if (len > 0) memcpy(buf_.data() + start + NLA_HDRLEN, data, len);
  Header(&buf_)->nlmsg_len = static_cast<uint32_t>(buf_.size());
}

void NlMessage::PutString(uint16_t type, const std::string& value) {
  PutAttr(type, value.c_str(), value.size() + 1);
}

void NlMessage::SetSeq(uint32_t seq) { Header(&buf_)->nlmsg_seq = seq; }

void NlMessage::AddLength(size_t len) {
  Header(&buf_)->nlmsg_len += static_cast<uint32_t>(len);
}

bool ParseAttrs(const uint8_t* p, size_t len, std::vector<NlAttr>* out) {
  size_t off = 0;
  while (off + NLA_HDRLEN <= len) {
    const nlattr* attr = reinterpret_cast<const nlattr*>(p + off);
    if (attr->nla_len < NLA_HDRLEN || off + attr->nla_len > len) return false;
    out->push_back({static_cast<uint16_t>(attr->nla_type & NLA_TYPE_MASK),
                    p + off + NLA_HDRLEN,
                    static_cast<size_t>(attr->nla_len - NLA_HDRLEN)});
    off += Align(attr->nla_len);
  }
  return off >= len;
}

bool ParseAck(const nlmsghdr* hdr, NlAck* out) {
  size_t len = hdr->nlmsg_len;
  if (len < NLMSG_HDRLEN + sizeof(nlmsgerr)) return false;
  const nlmsgerr* err = static_cast<const nlmsgerr*>(NLMSG_DATA(hdr));
  out->seq = hdr->nlmsg_seq;
  out->error = -err->error;
  if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS)) return true;

  // With NETLINK_CAP_ACK the echoed request is cut down to its header,
  // unless the request succeeded (then nothing is echoed at all).
  size_t skip = NLMSG_HDRLEN + sizeof(nlmsgerr);
  if (err->error != 0 && !(hdr->nlmsg_flags & NLM_F_CAPPED)) {
    skip += err->msg.nlmsg_len - NLMSG_HDRLEN;
  }
  if (skip > len) return true;
  std::vector<NlAttr> attrs;
  const uint8_t* base = reinterpret_cast<const uint8_t*>(hdr);
  if (!ParseAttrs(base + skip, len - skip, &attrs)) return true;
  for (const NlAttr& a : attrs) {
    if (a.type == NLMSGERR_ATTR_MSG && a.len > 0) {
      const char* text = reinterpret_cast<const char*>(a.data);
      out->message.assign(text, strnlen(text, a.len));
    }
  }
  return true;
}

int OpenGenlSocket() {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
  if (fd < 0) return -errno;
  int one = 1;
  // Extended acks carry the kernel's reason; capped acks keep them short.
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  // Requests arrive in bursts when many files are opened at once; a small
  // queue would overflow and the kernel would wait for the lost ones.
  // A data-path request is up to ~130 KiB; 32 MiB holds a few hundred.
  int rcvbuf = 32 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  // A CRYPT_REPLY of 30 units is ~123 KiB: keep it under the send limit
  // even where wmem_default was lowered.
  int sndbuf = 1 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  sockaddr_nl addr = {};
  addr.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

int SendMessage(int fd, const NlMessage& msg) {
  sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(fd, msg.data(), msg.size(), 0,
                  reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return errno;
  return static_cast<size_t>(sent) == msg.size() ? 0 : EMSGSIZE;
}

int SendMessageParts(int fd, const NlMessage& msg,
                     const std::vector<iovec>& parts) {
  sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  std::vector<iovec> iov;
  iov.reserve(parts.size() + 1);
  iov.push_back({const_cast<uint8_t*>(msg.data()), msg.size()});
  iov.insert(iov.end(), parts.begin(), parts.end());
  size_t total = 0;
  for (const iovec& v : iov) total += v.iov_len;
  msghdr mh = {};
  mh.msg_name = &kernel;
  mh.msg_namelen = sizeof(kernel);
  mh.msg_iov = iov.data();
  mh.msg_iovlen = iov.size();
  ssize_t sent;
  do {
    sent = sendmsg(fd, &mh, 0);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return errno;
  return static_cast<size_t>(sent) == total ? 0 : EMSGSIZE;
}

int ResolveFamily(int fd, const char* name, uint16_t* id,
                  std::string* message) {
  NlMessage msg(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
  msg.PutString(CTRL_ATTR_FAMILY_NAME, name);
  msg.SetSeq(1);
  int err = SendMessage(fd, msg);
  if (err != 0) return err;

  // The controller answers within sendto(): the reply, then the ack (or
  // only an error). Both are already queued; the wait is a safety net.
  std::vector<uint8_t> buf(16384);
  bool found = false;
  for (;;) {
    ssize_t len = ReceiveWithin(fd, &buf, 2000);
    if (len < 0) return static_cast<int>(-len);
    const nlmsghdr* hdr = reinterpret_cast<const nlmsghdr*>(buf.data());
    for (int left = static_cast<int>(len); NLMSG_OK(hdr, left);
         hdr = NLMSG_NEXT(hdr, left)) {
      if (hdr->nlmsg_type == NLMSG_ERROR) {
        NlAck ack;
        if (!ParseAck(hdr, &ack)) return EBADMSG;
        if (ack.error != 0) {
          *message = ack.message;
          return ack.error;
        }
        return found ? 0 : ENOENT;
      }
      if (hdr->nlmsg_type != GENL_ID_CTRL) continue;
      if (hdr->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) return EBADMSG;
      std::vector<NlAttr> attrs;
      const uint8_t* payload =
          static_cast<const uint8_t*>(NLMSG_DATA(hdr)) + GENL_HDRLEN;
      size_t plen = hdr->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
      if (!ParseAttrs(payload, plen, &attrs)) return EBADMSG;
      for (const NlAttr& a : attrs) {
        if (a.type == CTRL_ATTR_FAMILY_ID && a.len >= sizeof(uint16_t)) {
          memcpy(id, a.data, sizeof(uint16_t));
          found = true;
        }
      }
    }
  }
}

}  // namespace tk
