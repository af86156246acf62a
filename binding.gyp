{
  "targets": [
    {
      "target_name": "luasocket_native",
      "sources": [
        "native/address.c",
        "native/compat.c",
        "native/constants.c",
        "native/dgram.c",
        "native/guard.c",
        "native/module.c",
        "native/names.c",
        "native/napi_values.c",
        "native/options.c",
        "native/sockets.c",
        "native/unix.c",
        "native/wait.c"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=gnu11"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
