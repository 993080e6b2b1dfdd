// Wrapped objects that know their class. V8 checks the receiver of an
// ObjectWrap method, but not of an accessor: a getter taken from one
// class's prototype and called on another wrapped object would read the
// other object's memory as its own. Each class tags its instances and its
// getters check the tag before unwrapping.
#pragma once

#include <napi.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "errors.h"

namespace tk {

// `v` as a T when it carries T's tag, else null (nothing thrown).
template <typename T>
T* UnwrapTagged(Napi::Value v, const napi_type_tag& tag) {
  if (!v.IsObject()) return nullptr;
  bool tagged = false;
  if (napi_check_object_type_tag(v.Env(), v, &tag, &tagged) != napi_ok ||
      !tagged) {
    return nullptr;
  }
  void* self = nullptr;
  if (napi_unwrap(v.Env(), v, &self) != napi_ok) return nullptr;
  return static_cast<T*>(static_cast<Napi::ObjectWrap<T>*>(self));
}

// A getter that refuses a receiver not of class T.
template <typename T, Napi::Value (T::*Getter)(const Napi::CallbackInfo&)>
Napi::Value CheckedGetter(const Napi::CallbackInfo& info) {
  T* self = UnwrapTagged<T>(info.This(), T::kTag);
  if (self == nullptr) {
    return ThrowTypeError(info.Env(), std::string("Illegal invocation: "
                                                  "expected a ") +
                                          T::kClassName);
  }
  return (self->*Getter)(info);
}

// Add read-only accessors to the prototype of `constructor`.
inline void DefineGetters(
    Napi::Function constructor,
    std::initializer_list<std::pair<const char*, napi_callback>> getters) {
  Napi::Env env = constructor.Env();
  Napi::Object prototype = constructor.Get("prototype").As<Napi::Object>();
  for (const auto& g : getters) {
    napi_property_descriptor d = {g.first, nullptr, nullptr, g.second,
                                  nullptr,  nullptr, napi_default, nullptr};
    napi_define_properties(env, prototype, 1, &d);
  }
}

// The napi_callback of CheckedGetter<T, Getter>.
template <typename T, Napi::Value (T::*Getter)(const Napi::CallbackInfo&)>
napi_value CheckedGetterCallback(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
  return CheckedGetter<T, Getter>(info);
}

}  // namespace tk
