{
  "targets": [
    {
      "target_name": "tcp_cork",
      "sources": ["tcp_cork.cc"],
      "cflags_cc": ["-O2", "-std=c++17"]
    }
  ]
}
