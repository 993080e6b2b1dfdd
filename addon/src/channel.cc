// The netlink channel to the kernel module.
#include "channel.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <vector>

#include "errors.h"
#include "tagged.h"

namespace tk {

namespace {

// Larger than any request: a POLICY_REQ (4096 groups, four strings) or a
// CRYPT_REQ (30 data units, the file header, two paths) stays under it.
constexpr size_t kReceiveBuffer = 256 * 1024;

// The receive thread blocks in recvfrom and is woken to stop by the
// kernel's ack of a NOOP (WakeReceiver). Should that ack be lost, the
// thread still looks at the stop flag this often.
constexpr int kStopCheckMs = 1000;

Napi::Value Rejected(Napi::Env env, Napi::Error error) {
  Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
  d.Reject(error.Value());
  return d.Promise();
}

}  // namespace

void ChannelCallJs(Napi::Env env, Napi::Function on_request, Channel* self,
                   ChannelEvent* event) {
  // A null env means the function is being torn down: only free.
  if (env != nullptr && self != nullptr) self->Deliver(env, on_request, event);
  delete event;
}

Napi::Function Channel::Define(Napi::Env env) {
  Napi::Function constructor = DefineClass(
      env, kClassName,
      {InstanceMethod<&Channel::Register>("register"),
       InstanceMethod<&Channel::Unregister>("unregister"),
       InstanceMethod<&Channel::SetGeneration>("setGeneration"),
       InstanceMethod<&Channel::Reply>("reply"),
       InstanceMethod<&Channel::CryptReply>("cryptReply"),
       InstanceMethod<&Channel::SetDataTable>("serveData"),
       InstanceMethod<&Channel::Close>("close"),
       InstanceMethod<&Channel::Ref>("ref"),
       InstanceMethod<&Channel::Unref>("unref")});
  DefineGetters(
      constructor,
      {{"familyId", CheckedGetterCallback<Channel, &Channel::GetFamilyId>},
       {"portId", CheckedGetterCallback<Channel, &Channel::GetPortId>},
       {"closed", CheckedGetterCallback<Channel, &Channel::GetClosed>},
       {"droppedForeign", CheckedGetterCallback<Channel, &Channel::GetDropped>},
       {"servedInAddon",
        CheckedGetterCallback<Channel, &Channel::GetServedInAddon>}});
  return constructor;
}

Channel::Channel(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<Channel>(info) {
  Napi::Env env = info.Env();
  napi_type_tag_object(env, info.This(), &kTag);
  auto optional_function = [&info](size_t i) {
    return info.Length() <= i || info[i].IsFunction() || info[i].IsUndefined();
  };
  if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsFunction() ||
      !optional_function(2) || !optional_function(3)) {
    ThrowTypeError(env,
                   "expected (onRequest: function, onEvent: function, "
                   "onCrypt?: function, onPoolLow?: function)");
    return;
  }
  on_event_ = Napi::Persistent(info[1].As<Napi::Function>());
  if (info.Length() > 2 && info[2].IsFunction())
    on_crypt_ = Napi::Persistent(info[2].As<Napi::Function>());
  if (info.Length() > 3 && info[3].IsFunction()) {
    on_pool_low_ = Napi::Persistent(info[3].As<Napi::Function>());
    tell_pool_low_ = true;
  }
  if (!Open(env)) return;
  tsfn_ = Tsfn::New(env, info[0].As<Napi::Function>(), "takakrypt-netlink",
                    0, 1, this);
  // Registered after the thread-safe function so that it runs first at
  // teardown (hooks run in reverse order) while the function still exists.
  env_ = env;
  napi_add_env_cleanup_hook(env, CleanupHook, this);
  open_ = true;
  // An open channel keeps its JS object alive until close().
  ObjectWrap::Ref();
  thread_ = std::thread([this] { ReceiveLoop(); });
}

Channel::~Channel() { Shutdown(); }

bool Channel::Open(Napi::Env env) {
  int fd = OpenGenlSocket();
  if (fd < 0) {
    ErrnoError(env, -fd, "socket").ThrowAsJavaScriptException();
    return false;
  }
  sock_ = fd;
  std::string message;
  int err = ResolveFamily(sock_, TAKAKRYPT_GENL_NAME, &family_, &message);
  if (err != 0) {
    if (err == ENOENT) message = "generic netlink family " TAKAKRYPT_GENL_NAME
                                 " not found: is the takakrypt module loaded?";
    ErrnoError(env, err, "getfamily", message).ThrowAsJavaScriptException();
    return false;
  }
  sockaddr_nl addr = {};
  socklen_t len = sizeof(addr);
  getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = addr.nl_pid;
  timeval tv = {kStopCheckMs / 1000, (kStopCheckMs % 1000) * 1000};
  if (setsockopt(sock_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
    ErrnoError(env, errno, "setsockopt").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// Close everything: stop the thread-safe function (events still queued
// are freed with a null env), wake and join the thread, close the socket.
// Safe to call twice and from the teardown hook.
void Channel::Shutdown() {
  if (open_) {
    open_ = false;
    tsfn_.Abort();
    stopping_.store(true);
    WakeReceiver();
    if (thread_.joinable()) thread_.join();
    napi_remove_env_cleanup_hook(env_, CleanupHook, this);
  }
  if (sock_ >= 0) close(sock_);
  sock_ = -1;
}

// A NOOP request to the kernel with NLM_F_ACK: the kernel acknowledges
// it to our port, which ends the receive thread's recvfrom; the thread
// then sees stopping_. (A message to our own port would need
// CAP_NET_ADMIN.) When the queue is full the ack is lost, but then the
// thread is not waiting and sees the flag after the message it is on.
void Channel::WakeReceiver() {
  nlmsghdr noop = {};
  noop.nlmsg_len = NLMSG_HDRLEN;
  noop.nlmsg_type = NLMSG_NOOP;
  noop.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(sock_, &noop, sizeof(noop), MSG_DONTWAIT,
                  reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
}

void Channel::CleanupHook(void* arg) {
  Channel* self = static_cast<Channel*>(arg);
  self->Shutdown();
}

void Channel::RejectPending(Napi::Env env) {
  std::unordered_map<uint32_t, Napi::Promise::Deferred> pending;
  pending.swap(pending_);
  for (auto& kv : pending) {
    kv.second.Reject(
        ErrnoError(env, ESHUTDOWN, "close",
                   "the channel was closed before the kernel answered")
            .Value());
  }
}

Napi::Value Channel::Close(const Napi::CallbackInfo& info) {
  bool was_open = open_;
  Shutdown();
  RejectPending(info.Env());
  if (was_open) ObjectWrap::Unref();
  return info.Env().Undefined();
}

Napi::Value Channel::Ref(const Napi::CallbackInfo& info) {
  if (open_) tsfn_.Ref(info.Env());
  return info.Env().Undefined();
}

Napi::Value Channel::Unref(const Napi::CallbackInfo& info) {
  if (open_) tsfn_.Unref(info.Env());
  return info.Env().Undefined();
}

Napi::Value Channel::GetFamilyId(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), family_);
}

Napi::Value Channel::GetPortId(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), port_);
}

Napi::Value Channel::GetClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !open_);
}

Napi::Value Channel::GetDropped(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), dropped_.load());
}

Napi::Value Channel::GetServedInAddon(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(),
                           static_cast<double>(served_in_addon_.load()));
}

// serveData(table | null, lowWater = 0): from now on the receive thread
// answers the data requests of files in `table` itself; null stops that.
// lowWater > 0: onPoolLow is told of a pool left with fewer headers.
Napi::Value Channel::SetDataTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<CipherTable> table;
  double low_water = 0;
  if (info.Length() == 2 && info[1].IsNumber())
    low_water = info[1].As<Napi::Number>().DoubleValue();
  bool low_water_ok = info.Length() < 2 || info[1].IsUndefined() ||
                      (info[1].IsNumber() && low_water >= 0 &&
                       low_water <= CipherTable::kMaxPooled &&
                       low_water == static_cast<size_t>(low_water));
  if (info.Length() < 1 || info.Length() > 2 || !low_water_ok ||
      (!info[0].IsNull() && (table = UnwrapCipherTable(info[0])) == nullptr))
    return ThrowTypeError(
        env, "expected serveData(table: CipherTable | null, lowWater?: "
             "integer 0.." + std::to_string(CipherTable::kMaxPooled) + ")");
  if (table && on_crypt_.IsEmpty()) {
    // Such a channel refuses every crypt request; so must the addon.
    return ThrowTypeError(env,
                          "serveData needs a channel made with an onCrypt "
                          "handler; this one refuses crypt requests");
  }
  std::lock_guard<std::mutex> lock(data_mu_);
  data_table_ = std::move(table);
  pool_low_water_ = static_cast<size_t>(low_water);
  return env.Undefined();
}

// 0 and 1 are never used: 1 belongs to the family look-up.
uint32_t Channel::NextSeq() {
  uint32_t seq;
  do {
    seq = next_seq_.fetch_add(1);
  } while (seq < 2);
  return seq;
}

void Channel::RememberReply(uint32_t seq, const SentReply& reply) {
  constexpr size_t kRecentReplies = 4096;
  std::lock_guard<std::mutex> lock(recent_mu_);
  if (recent_order_.size() == kRecentReplies) {
    recent_replies_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
  recent_replies_[seq] = reply;
  recent_order_.push_back(seq);
}

// Send one message. A command (no `reply`) settles with the kernel's ack.
// A reply is not acknowledged when the kernel takes it, so its promise
// settles once it is sent; a refusal the kernel reports later reaches JS
// as a "rejected" fault naming the reply (DeliverRefusedReply). One round
// trip to the agent then costs one message each way instead of three.
Napi::Value Channel::Send(Napi::Env env, NlMessage* msg,
                          const std::vector<iovec>* parts,
                          const SentReply* reply) {
  if (!open_) {
    return Rejected(env, ErrnoError(env, ESHUTDOWN, "sendto",
                                    "the channel is closed"));
  }
  uint32_t seq = NextSeq();
  msg->SetSeq(seq);
  Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
  Napi::Value promise = d.Promise();
  if (reply == nullptr) pending_.emplace(seq, d);
  int err = parts == nullptr ? SendMessage(sock_, *msg)
                             : SendMessageParts(sock_, *msg, *parts);
  if (err != 0) {
    if (reply == nullptr) pending_.erase(seq);
    d.Reject(ErrnoError(env, err, "sendto").Value());
  } else if (reply != nullptr) {
    RememberReply(seq, *reply);
    d.Resolve(env.Undefined());
  }
  return promise;
}

void Channel::DeliverRefusedReply(Napi::Env env, const NlAck& ack) {
  std::string what = "a reply";
  {
    std::lock_guard<std::mutex> lock(recent_mu_);
    auto it = recent_replies_.find(ack.seq);
    if (it != recent_replies_.end()) {
      what = std::string(it->second.command) + " to request " +
             std::to_string(it->second.request_id);
    }
  }
  Napi::Object obj = Napi::Object::New(env);
  obj.Set("fault", "rejected");
  obj.Set("code", ErrnoName(ack.error));
  obj.Set("message", "the kernel refused " + what +
                         (ack.message.empty() ? "" : ": " + ack.message));
  if (!on_event_.IsEmpty()) on_event_.Call({obj});
}

Napi::Value Channel::Register(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    return ThrowTypeError(env, "expected a register object");
  takakrypt_register reg = {};
  if (!RegisterFromJs(info[0].As<Napi::Object>(), &reg)) return env.Undefined();
  NlMessage msg(family_, NLM_F_REQUEST | NLM_F_ACK, TAKAKRYPT_CMD_REGISTER,
                TAKAKRYPT_GENL_VERSION);
  msg.PutAttr(TAKAKRYPT_A_REGISTER, &reg, sizeof(reg));
  return Send(env, &msg);
}

Napi::Value Channel::Unregister(const Napi::CallbackInfo& info) {
  NlMessage msg(family_, NLM_F_REQUEST | NLM_F_ACK, TAKAKRYPT_CMD_UNREGISTER,
                TAKAKRYPT_GENL_VERSION);
  return Send(info.Env(), &msg);
}

Napi::Value Channel::SetGeneration(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    return ThrowTypeError(env, "expected a generation object");
  takakrypt_generation gen = {};
  if (!GenerationFromJs(info[0].As<Napi::Object>(), &gen))
    return env.Undefined();
  NlMessage msg(family_, NLM_F_REQUEST | NLM_F_ACK,
                TAKAKRYPT_CMD_SET_GENERATION, TAKAKRYPT_GENL_VERSION);
  msg.PutAttr(TAKAKRYPT_A_GENERATION, &gen, sizeof(gen));
  return Send(env, &msg);
}

Napi::Value Channel::Reply(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    return ThrowTypeError(env, "expected a reply object");
  takakrypt_policy_reply reply = {};
  if (!PolicyReplyFromJs(info[0].As<Napi::Object>(), &reply))
    return env.Undefined();
  NlMessage msg(family_, NLM_F_REQUEST, TAKAKRYPT_CMD_POLICY_REPLY,
                TAKAKRYPT_GENL_VERSION);
  msg.PutAttr(TAKAKRYPT_A_POLICY_REPLY, &reply, sizeof(reply));
  SentReply sent = {"POLICY_REPLY", reply.request_id};
  return Send(env, &msg, nullptr, &sent);
}

// The reply goes out from the caller's Buffers, without a copy.
Napi::Value Channel::CryptReply(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    return ThrowTypeError(env, "expected a crypt reply object");
  CryptReplyMessage msg(family_);
  uint32_t id = 0;
  if (!CryptReplyFromJs(info[0].As<Napi::Object>(), &msg, &id))
    return env.Undefined();
  msg.Seal();
  SentReply sent = {"CRYPT_REPLY", id};
  return Send(env, &msg.head, &msg.parts, &sent);
}

void Channel::Post(ChannelEvent* ev) {
  if (tsfn_.NonBlockingCall(ev) != napi_ok) delete ev;
}

void Channel::PostFault(const char* fault, int error,
                        const std::string& message) {
  ChannelEvent* ev = new ChannelEvent(ChannelEvent::Kind::kFault);
  ev->fault = fault;
  ev->error = error;
  ev->message = message;
  Post(ev);
}

// The receive thread: one blocking recvfrom per message (no poll; the
// socket's queue is the only thing it waits on).
void Channel::ReceiveLoop() {
  std::vector<uint8_t> buf(kReceiveBuffer);
  for (;;) {
    if (stopping_.load()) return;
    sockaddr_nl from = {};
    socklen_t from_len = sizeof(from);
    ssize_t len = recvfrom(sock_, buf.data(), buf.size(), MSG_TRUNC,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
    if (stopping_.load()) return;
    if (len < 0) {
      // EAGAIN: the periodic look at stopping_ (SO_RCVTIMEO).
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ENOBUFS) {
        // The kernel dropped messages; it fails those requests itself.
        PostFault("overrun", ENOBUFS, "the receive queue overflowed");
        continue;
      }
      PostFault("socket", errno, "receiving failed");
      return;
    }
    if (from.nl_pid != 0) {
      // Only the kernel may speak to us; another process with
      // CAP_NET_ADMIN could forge a request to our port number.
      dropped_++;
      continue;
    }
    if (static_cast<size_t>(len) > buf.size()) {
      PostFault("malformed", EMSGSIZE, "a message larger than the buffer");
      continue;
    }
    const nlmsghdr* hdr = reinterpret_cast<const nlmsghdr*>(buf.data());
    for (int left = static_cast<int>(len); NLMSG_OK(hdr, left);
         hdr = NLMSG_NEXT(hdr, left)) {
      HandleMessage(hdr);
    }
  }
}

void Channel::HandleMessage(const nlmsghdr* hdr) {
  if (hdr->nlmsg_type == NLMSG_ERROR) {
    ChannelEvent* ev = new ChannelEvent(ChannelEvent::Kind::kAck);
    if (ParseAck(hdr, &ev->ack)) {
      Post(ev);
    } else {
      delete ev;
      PostFault("malformed", EBADMSG, "a truncated acknowledgement");
    }
    return;
  }
  if (hdr->nlmsg_type != family_ ||
      hdr->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
    return;
  const genlmsghdr* genl =
      reinterpret_cast<const genlmsghdr*>(NLMSG_DATA(hdr));
  if (genl->cmd == TAKAKRYPT_CMD_CRYPT_REQ) return HandleCrypt(hdr);
  if (genl->cmd != TAKAKRYPT_CMD_POLICY_REQ) return;
  ChannelEvent* ev = new ChannelEvent(ChannelEvent::Kind::kRequest);
  const uint8_t* attrs =
      reinterpret_cast<const uint8_t*>(genl) + GENL_HDRLEN;
  std::string why;
  if (!DecodePolicyRequest(attrs, hdr->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN,
                           &ev->request, &why)) {
    ev->kind = ChannelEvent::Kind::kFault;
    ev->fault = "malformed";
    ev->error = EBADMSG;
    ev->message = "malformed policy request: " + why;
  }
  Post(ev);
}

// A data request for a file in the table is answered here, from the
// receive buffer itself; any other request goes to JS.
// A request the table can answer is answered here, from the receive
// buffer itself: kYes. kFailed: OpenSSL failed part-way, `failure` says
// how. kNo: the request is the agent's.
Served Channel::ServeInAddon(const CryptView& view, std::string* failure) {
  std::shared_ptr<CipherTable> table;
  size_t low_water;
  {
    std::lock_guard<std::mutex> lock(data_mu_);
    table = data_table_;
    low_water = pool_low_water_;
  }
  if (!table) return Served::kNo;
  CryptReplyMessage reply(family_);
  Served served = ServeParsed(view, table.get(), &reply, failure);
  if (served != Served::kYes) return served;
  reply.Seal();
  uint32_t id = view.fixed.request_id;
  uint32_t seq = NextSeq();
  reply.head.SetSeq(seq);
  RememberReply(seq, {"CRYPT_REPLY", id});
  int err = SendMessageParts(sock_, reply.head, reply.parts);
  if (err != 0) {
    // The kernel fails the request on its own when no answer comes.
    PostFault("unsent", err, "the reply to crypt request " +
                                 std::to_string(id) + " was not sent");
  } else {
    served_in_addon_++;
  }
  if (view.fixed.op == TAKAKRYPT_CRYPT_NEW_HEADER && low_water > 0 &&
      tell_pool_low_)
    TellIfPoolLow(view, table.get(), low_water);
  return Served::kYes;
}

// After a NEW_HEADER answered from a pool: tell the agent when the pool
// holds fewer than `low_water` headers, while it can still make more
// before the next new files find it empty and wait for it.
void Channel::TellIfPoolLow(const CryptView& view, CipherTable* table,
                            size_t low_water) {
  std::string guard_point = AttrString(view.guard_point);
  std::string policy_name = AttrString(view.policy_name);
  size_t pooled = table->Pooled(PoolKey(guard_point, policy_name));
  if (pooled >= low_water) return;
  ChannelEvent* ev = new ChannelEvent(ChannelEvent::Kind::kPoolLow);
  ev->guard_point = std::move(guard_point);
  ev->policy_name = std::move(policy_name);
  ev->pooled = pooled;
  Post(ev);
}

void Channel::HandleCrypt(const nlmsghdr* hdr) {
  // The receive buffer is this thread's own.
  uint8_t* attrs = const_cast<uint8_t*>(
      static_cast<const uint8_t*>(NLMSG_DATA(hdr)) + GENL_HDRLEN);
  size_t len = hdr->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
  // Parsed once: the addon answers it, or the agent gets it.
  CryptView view;
  std::string why, failure;
  bool ok = ParseCryptRequest(attrs, len, &view, &why);
  Served served = ok ? ServeInAddon(view, &failure) : Served::kNo;
  if (served == Served::kYes) {
    // A DECRYPT left plaintext in the buffer: wipe it. An ENCRYPT's
    // plaintext was replaced, in place, by its ciphertext.
    if (view.fixed.op != TAKAKRYPT_CRYPT_ENCRYPT) explicit_bzero(attrs, len);
    return;
  }
  ChannelEvent* ev = new ChannelEvent(ChannelEvent::Kind::kCrypt);
  if (ok) {
    TakeCryptRequest(view, &ev->crypt);
    // Set only when OpenSSL failed part-way in the addon: the agent then
    // fails the request.
    ev->crypt.failure = failure;
  } else {
    if (view.fixed_read) ev->crypt.fixed = view.fixed;
    ev->kind = ChannelEvent::Kind::kFault;
    ev->fault = "malformed";
    ev->command = "CRYPT_REQ";
    ev->error = EBADMSG;
    ev->message = "malformed crypt request: " + why;
  }
  // The units of an ENCRYPT are plaintext: leave none in the buffer.
  explicit_bzero(attrs, len);
  Post(ev);
}

void Channel::DeliverFault(Napi::Env env, ChannelEvent* ev) {
  Napi::Object obj = Napi::Object::New(env);
  obj.Set("fault", ev->fault);
  obj.Set("code", ErrnoName(ev->error));
  obj.Set("message", ev->message);
  uint32_t id = ev->request.fixed.request_id != 0
                    ? ev->request.fixed.request_id
                    : ev->crypt.fixed.request_id;
  if (id != 0) {
    obj.Set("requestId", id);
    obj.Set("command", ev->command);
  }
  if (!on_event_.IsEmpty()) on_event_.Call({obj});
}

void Channel::Deliver(Napi::Env env, Napi::Function on_request,
                      ChannelEvent* ev) {
  switch (ev->kind) {
    case ChannelEvent::Kind::kRequest:
      on_request.Call({PolicyRequestToJs(env, ev->request)});
      break;
    case ChannelEvent::Kind::kAck: {
      auto it = pending_.find(ev->ack.seq);
      if (it == pending_.end()) {
        if (ev->ack.error != 0) DeliverRefusedReply(env, ev->ack);
        break;
      }
      Napi::Promise::Deferred d = it->second;
      pending_.erase(it);
      if (ev->ack.error == 0) {
        d.Resolve(env.Undefined());
      } else {
        d.Reject(ErrnoError(env, ev->ack.error, "sendto", ev->ack.message)
                     .Value());
      }
      break;
    }
    case ChannelEvent::Kind::kCrypt:
      if (on_crypt_.IsEmpty()) {
        ev->fault = "malformed";
        ev->command = "CRYPT_REQ";
        ev->error = EOPNOTSUPP;
        ev->message = "crypt request refused: no crypt handler is set";
        DeliverFault(env, ev);
      } else {
        on_crypt_.Call({CryptRequestToJs(env, &ev->crypt)});
      }
      break;
    case ChannelEvent::Kind::kFault:
      DeliverFault(env, ev);
      break;
    case ChannelEvent::Kind::kPoolLow:
      if (!on_pool_low_.IsEmpty()) {
        on_pool_low_.Call({Napi::String::New(env, ev->guard_point),
                           Napi::String::New(env, ev->policy_name),
                           Napi::Number::New(env, static_cast<double>(
                                                      ev->pooled))});
      }
      break;
  }
}

}  // namespace tk
