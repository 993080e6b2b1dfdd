{
  "targets": [
    {
      "target_name": "takakrypt",
      "sources": [
        "src/module.cc",
        "src/errors.cc",
        "src/netlink.cc",
        "src/codec.cc",
        "src/codec_exports.cc",
        "src/crypt_codec.cc",
        "src/crypt_exports.cc",
        "src/crypt_reply.cc",
        "src/channel.cc",
        "src/nss.cc",
        "src/mounts.cc",
        "src/xts_run.cc",
        "src/kdf.cc",
        "src/data_path.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "../kernel/include/uapi"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fno-exceptions"],
      "cflags_cc!": ["-fno-rtti"]
    }
  ]
}
