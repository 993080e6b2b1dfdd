// mount(2), umount2(2) and syncfs(2), which Node does not offer; the agent
// mounts, flushes and unmounts guard points with them.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "errors.h"
#include "worker.h"

namespace tk {

namespace {

// mount(source, target, fstype, flags, data) -> Promise<void>
Napi::Value Mount(const Napi::CallbackInfo& info) {
  std::string source, target, fstype, data;
  uint32_t flags = 0;
  if (!StringArg(info, 0, &source) || !StringArg(info, 1, &target) ||
      !StringArg(info, 2, &fstype) || !Uint32Arg(info, 3, &flags) ||
      !StringArg(info, 4, &data))
    return info.Env().Undefined();
  return PromiseWorker::Start(
      info.Env(), "mount",
      [=] {
        int rc = mount(source.c_str(), target.c_str(), fstype.c_str(), flags,
                       data.empty() ? nullptr : data.c_str());
        return rc == 0 ? 0 : errno;
      },
      [](Napi::Env env) { return env.Undefined(); });
}

// umount2(target, flags) -> Promise<void>
Napi::Value Umount2(const Napi::CallbackInfo& info) {
  std::string target;
  uint32_t flags = 0;
  if (!StringArg(info, 0, &target) || !Uint32Arg(info, 1, &flags))
    return info.Env().Undefined();
  return PromiseWorker::Start(
      info.Env(), "umount2",
      [=] {
        return umount2(target.c_str(), static_cast<int>(flags)) == 0 ? 0
                                                                     : errno;
      },
      [](Napi::Env env) { return env.Undefined(); });
}

// syncfs(path) -> Promise<void>: write back the filesystem holding the
// directory `path` (a guard point, while the agent can still encrypt).
Napi::Value Syncfs(const Napi::CallbackInfo& info) {
  std::string path;
  if (!StringArg(info, 0, &path)) return info.Env().Undefined();
  return PromiseWorker::Start(
      info.Env(), "syncfs",
      [=] {
        int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return errno;
        int err = syncfs(fd) == 0 ? 0 : errno;
        close(fd);
        return err;
      },
      [](Napi::Env env) { return env.Undefined(); });
}

Napi::Object MountFlags(Napi::Env env) {
  Napi::Object f = Napi::Object::New(env);
  f.Set("MS_RDONLY", static_cast<uint32_t>(MS_RDONLY));
  f.Set("MS_NOSUID", static_cast<uint32_t>(MS_NOSUID));
  f.Set("MS_NODEV", static_cast<uint32_t>(MS_NODEV));
  f.Set("MS_NOEXEC", static_cast<uint32_t>(MS_NOEXEC));
  f.Set("MS_REMOUNT", static_cast<uint32_t>(MS_REMOUNT));
  f.Set("MS_BIND", static_cast<uint32_t>(MS_BIND));
  f.Set("MS_REC", static_cast<uint32_t>(MS_REC));
  f.Set("MS_PRIVATE", static_cast<uint32_t>(MS_PRIVATE));
  f.Set("MNT_FORCE", static_cast<uint32_t>(MNT_FORCE));
  f.Set("MNT_DETACH", static_cast<uint32_t>(MNT_DETACH));
  f.Set("MNT_EXPIRE", static_cast<uint32_t>(MNT_EXPIRE));
  f.Set("UMOUNT_NOFOLLOW", static_cast<uint32_t>(UMOUNT_NOFOLLOW));
  return f;
}

}  // namespace

void InitMounts(Napi::Env env, Napi::Object exports) {
  exports.Set("mount", Napi::Function::New(env, Mount));
  exports.Set("umount2", Napi::Function::New(env, Umount2));
  exports.Set("syncfs", Napi::Function::New(env, Syncfs));
  exports.Set("mountFlags", MountFlags(env));
}

}  // namespace tk
