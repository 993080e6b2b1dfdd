// User and group look-ups through NSS (the *_r functions and
// getgrouplist), which Node does not offer for arbitrary ids.
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "errors.h"
#include "worker.h"

namespace tk {

namespace {

struct UserEntry {
  bool found = false;
  std::string name, dir, shell;
  uint32_t uid = 0, gid = 0;
};

struct GroupEntry {
  bool found = false;
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

// Call a getpw*_r/getgr*_r style function, growing the buffer on ERANGE.
// `call` returns the function's result and sets `*hit` when found.
template <typename Call>
int WithBuffer(Call call) {
  size_t size = 4096;
  for (;;) {
    std::vector<char> buf(size);
    int err = call(buf.data(), buf.size());
    if (err != ERANGE) return err;
    if (size >= (16u << 20)) return ERANGE;
    size *= 4;
  }
}

int LookUpUser(bool by_name, const std::string& name, uint32_t uid,
               UserEntry* out) {
  return WithBuffer([&](char* buf, size_t len) {
    passwd pw, *hit = nullptr;
    int err = by_name ? getpwnam_r(name.c_str(), &pw, buf, len, &hit)
                      : getpwuid_r(uid, &pw, buf, len, &hit);
    // "Not found" comes back as 0 with no entry, or as one of these.
    if (err == ENOENT || err == ESRCH || err == EBADF || err == EPERM) err = 0;
    if (err == 0 && hit != nullptr) {
      out->found = true;
      out->name = pw.pw_name;
      out->uid = pw.pw_uid;
      out->gid = pw.pw_gid;
      out->dir = pw.pw_dir ? pw.pw_dir : "";
      out->shell = pw.pw_shell ? pw.pw_shell : "";
    }
    return err;
  });
}

int LookUpGroup(bool by_name, const std::string& name, uint32_t gid,
                GroupEntry* out) {
  return WithBuffer([&](char* buf, size_t len) {
    group gr, *hit = nullptr;
    int err = by_name ? getgrnam_r(name.c_str(), &gr, buf, len, &hit)
                      : getgrgid_r(gid, &gr, buf, len, &hit);
    if (err == ENOENT || err == ESRCH || err == EBADF || err == EPERM) err = 0;
    if (err == 0 && hit != nullptr) {
      out->found = true;
      out->name = gr.gr_name;
      out->gid = gr.gr_gid;
      out->members.clear();
      for (char** m = gr.gr_mem; m != nullptr && *m != nullptr; m++)
        out->members.emplace_back(*m);
    }
    return err;
  });
}

Napi::Value UserToJs(Napi::Env env, const UserEntry& u) {
  if (!u.found) return env.Null();
  Napi::Object obj = Napi::Object::New(env);
  obj.Set("name", u.name);
  obj.Set("uid", u.uid);
  obj.Set("gid", u.gid);
  obj.Set("dir", u.dir);
  obj.Set("shell", u.shell);
  return obj;
}

Napi::Value GroupToJs(Napi::Env env, const GroupEntry& g) {
  if (!g.found) return env.Null();
  Napi::Object obj = Napi::Object::New(env);
  obj.Set("name", g.name);
  obj.Set("gid", g.gid);
  Napi::Array members = Napi::Array::New(env, g.members.size());
  for (size_t i = 0; i < g.members.size(); i++)
    members.Set(static_cast<uint32_t>(i), g.members[i]);
  obj.Set("members", members);
  return obj;
}

Napi::Value UserQuery(const Napi::CallbackInfo& info, bool by_name) {
  std::string name;
  uint32_t uid = 0;
  if (by_name ? !StringArg(info, 0, &name) : !Uint32Arg(info, 0, &uid))
    return info.Env().Undefined();
  auto entry = std::make_shared<UserEntry>();
  return PromiseWorker::Start(
      info.Env(), by_name ? "getpwnam_r" : "getpwuid_r",
      [=] { return LookUpUser(by_name, name, uid, entry.get()); },
      [=](Napi::Env env) { return UserToJs(env, *entry); });
}

Napi::Value GroupQuery(const Napi::CallbackInfo& info, bool by_name) {
  std::string name;
  uint32_t gid = 0;
  if (by_name ? !StringArg(info, 0, &name) : !Uint32Arg(info, 0, &gid))
    return info.Env().Undefined();
  auto entry = std::make_shared<GroupEntry>();
  return PromiseWorker::Start(
      info.Env(), by_name ? "getgrnam_r" : "getgrgid_r",
      [=] { return LookUpGroup(by_name, name, gid, entry.get()); },
      [=](Napi::Env env) { return GroupToJs(env, *entry); });
}

Napi::Value GetPwUid(const Napi::CallbackInfo& info) {
  return UserQuery(info, false);
}
Napi::Value GetPwNam(const Napi::CallbackInfo& info) {
  return UserQuery(info, true);
}
Napi::Value GetGrGid(const Napi::CallbackInfo& info) {
  return GroupQuery(info, false);
}
Napi::Value GetGrNam(const Napi::CallbackInfo& info) {
  return GroupQuery(info, true);
}

// getgrouplist(user, gid): every group of `user`, `gid` included.
Napi::Value GetGroupList(const Napi::CallbackInfo& info) {
  std::string name;
  uint32_t gid = 0;
  if (!StringArg(info, 0, &name) || !Uint32Arg(info, 1, &gid))
    return info.Env().Undefined();
  auto groups = std::make_shared<std::vector<gid_t>>();
  return PromiseWorker::Start(
      info.Env(), "getgrouplist",
      [=] {
        int n = 64;
        for (int round = 0; round < 8; round++) {
          groups->resize(n);
          int got = n;
          if (getgrouplist(name.c_str(), gid, groups->data(), &got) >= 0) {
            groups->resize(got);
            return 0;
          }
          n = got > n ? got : n * 2;
        }
        return ERANGE;
      },
      [=](Napi::Env env) {
        Napi::Array arr = Napi::Array::New(env, groups->size());
        for (size_t i = 0; i < groups->size(); i++)
          arr.Set(static_cast<uint32_t>(i), (*groups)[i]);
        return arr;
      });
}

}  // namespace

void InitNss(Napi::Env env, Napi::Object exports) {
  exports.Set("getpwuid", Napi::Function::New(env, GetPwUid));
  exports.Set("getpwnam", Napi::Function::New(env, GetPwNam));
  exports.Set("getgrgid", Napi::Function::New(env, GetGrGid));
  exports.Set("getgrnam", Napi::Function::New(env, GetGrNam));
  exports.Set("getgrouplist", Napi::Function::New(env, GetGroupList));
}

}  // namespace tk
