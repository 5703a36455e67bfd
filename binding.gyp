# The optional native ChaCha20-Poly1305 (native/chachapoly.c), built by
# `npm install` / `npm ci` (the "install" script) against the OpenSSL inside
# Node. src/noise/native-aead.ts falls back to node:crypto without it.
{
  "targets": [
    {
      "target_name": "chachapoly",
      "sources": ["native/chachapoly.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra"]
    }
  ]
}
