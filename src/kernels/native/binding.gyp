{
  "targets": [
    {
      "target_name": "dptrain_native",
      "sources": ["addon.cc", "isa-avx2.cc", "isa-avx512.cc"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++20", "-O3", "-ffp-contract=off", "-fno-exceptions", "-Wall", "-Wextra", "-Wno-uninitialized", "-Wno-maybe-uninitialized"],
      "cflags_cc!": ["-fno-rtti"]
    }
  ]
}
