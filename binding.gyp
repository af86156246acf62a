{
  "targets": [
    {
      "target_name": "luasocket_native",
      "sources": ["native/luasocket.c"],
      "cflags_c": ["-std=gnu11"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
