// The netlink channel to the kernel module: one NETLINK_GENERIC socket,
// a native thread receiving on it, and a thread-safe function carrying
// what arrives to the JS thread. Commands return promises settled by the
// kernel's acknowledgement.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "codec.h"
#include "crypt_codec.h"
#include "data_path.h"
#include "netlink.h"

namespace tk {

// Something the receive thread hands to the JS thread.
struct ChannelEvent {
  enum class Kind { kRequest, kCrypt, kAck, kFault, kPoolLow };
  explicit ChannelEvent(Kind k) : kind(k) {}
  Kind kind;
  PolicyRequest request;  // kRequest; for a malformed one, its id if known
  CryptRequest crypt;     // kCrypt; for a malformed one, its id if known
  const char* command = "POLICY_REQ";  // kFault: what the id belongs to
  NlAck ack;              // kAck
  const char* fault = "";  // kFault: "malformed", "overrun", "socket", "unsent"
  int error = 0;          // kFault: errno
  std::string message;    // kFault: what went wrong
  // kPoolLow: the pool a NEW_HEADER answered in the addon left low
  std::string guard_point, policy_name;
  size_t pooled = 0;
};

class Channel;
void ChannelCallJs(Napi::Env env, Napi::Function on_request, Channel* self,
                   ChannelEvent* event);

// new Channel(onRequest, onEvent, onCrypt?, onPoolLow?): resolves the
// family, starts receiving. Without onCrypt, CRYPT_REQs arrive as faults
// to refuse. serveData(table, lowWater?) lets the receive thread answer
// the data requests of files in `table` itself (data_path.h); when a
// NEW_HEADER it answers leaves fewer than lowWater ready-made headers in
// that pool, onPoolLow(guardPoint, policyName, pooled) is called, so that
// the agent makes more before the pool runs dry.
class Channel : public Napi::ObjectWrap<Channel> {
 public:
  static constexpr napi_type_tag kTag = {0x3e1f0c5b9a7d4e21ULL,
                                         0xb46a2d8c71f0e953ULL};
  static constexpr const char* kClassName = "Channel";
  static Napi::Function Define(Napi::Env env);
  explicit Channel(const Napi::CallbackInfo& info);
  ~Channel() override;

  // Runs on the JS thread for each event (env is null at teardown).
  void Deliver(Napi::Env env, Napi::Function on_request, ChannelEvent* ev);

 private:
  using Tsfn = Napi::TypedThreadSafeFunction<Channel, ChannelEvent,
                                             ChannelCallJs>;

  Napi::Value Register(const Napi::CallbackInfo& info);
  Napi::Value Unregister(const Napi::CallbackInfo& info);
  Napi::Value SetGeneration(const Napi::CallbackInfo& info);
  Napi::Value Reply(const Napi::CallbackInfo& info);
  Napi::Value CryptReply(const Napi::CallbackInfo& info);
  Napi::Value SetDataTable(const Napi::CallbackInfo& info);
  Napi::Value GetServedInAddon(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value GetFamilyId(const Napi::CallbackInfo& info);
  Napi::Value GetPortId(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);
  Napi::Value GetDropped(const Napi::CallbackInfo& info);

  bool Open(Napi::Env env);
  // A reply sent, remembered by its sequence number to name a refusal.
  struct SentReply {
    const char* command;
    uint32_t request_id;
  };
  Napi::Value Send(Napi::Env env, NlMessage* msg,
                   const std::vector<iovec>* parts = nullptr,
                   const SentReply* reply = nullptr);
  void DeliverRefusedReply(Napi::Env env, const NlAck& ack);
  void ReceiveLoop();
  void HandleMessage(const nlmsghdr* hdr);
  void HandleCrypt(const nlmsghdr* hdr);
  Served ServeInAddon(const CryptView& view, std::string* failure);
  void TellIfPoolLow(const CryptView& view, CipherTable* table,
                     size_t low_water);
  uint32_t NextSeq();
  void RememberReply(uint32_t seq, const SentReply& reply);
  void DeliverFault(Napi::Env env, ChannelEvent* ev);
  void Post(ChannelEvent* ev);
  void PostFault(const char* fault, int error, const std::string& message);
  void Shutdown();
  void WakeReceiver();
  void RejectPending(Napi::Env env);
  static void CleanupHook(void* arg);

  int sock_ = -1;
  uint16_t family_ = 0;
  uint32_t port_ = 0;
  // Sequence numbers of messages sent (1 went to the family look-up).
  std::atomic<uint32_t> next_seq_{2};
  bool open_ = false;
  // Set once, before the receive thread is woken to stop.
  std::atomic<bool> stopping_{false};
  napi_env env_ = nullptr;
  std::thread thread_;
  Tsfn tsfn_;
  Napi::FunctionReference on_event_;
  Napi::FunctionReference on_crypt_;
  Napi::FunctionReference on_pool_low_;
  // Set before the receive thread starts: an onPoolLow was given.
  bool tell_pool_low_ = false;
  // Messages not from the kernel (port 0), dropped unread.
  std::atomic<uint32_t> dropped_{0};
  // The table the receive thread answers data requests from, if any.
  std::mutex data_mu_;
  std::shared_ptr<CipherTable> data_table_;
  size_t pool_low_water_ = 0;  // with data_table_, under data_mu_
  std::atomic<uint64_t> served_in_addon_{0};
  // Commands awaiting the kernel's ack, by sequence number; JS thread only.
  std::unordered_map<uint32_t, Napi::Promise::Deferred> pending_;
  // Replies go out without NLM_F_ACK: the kernel acknowledges only one it
  // refuses. The recent replies, by sequence number, name such a refusal;
  // the oldest forgotten first. Both threads send replies.
  std::mutex recent_mu_;
  std::unordered_map<uint32_t, SentReply> recent_replies_;
  std::deque<uint32_t> recent_order_;
};

}  // namespace tk
