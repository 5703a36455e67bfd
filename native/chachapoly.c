// ChaCha20-Poly1305 (RFC 8439), the Noise cipher "ChaChaPoly" (noise.md rev
// 34 §12.3), sealing and opening into buffers the caller provides, through
// the OpenSSL that Node itself carries (and exports to addons).
//
// Why this exists: node:crypto's Cipheriv sets up a new cipher context per
// message, allocates every update()'s output one cipher block longer than
// its input and then reallocates it to the length written; measured, an
// update() of 64 KiB costs what sealing into a new buffer plus copying 64
// KiB costs, a third more than sealing alone, and it can never write into
// memory that is already warm. Here one context per direction is kept per
// JavaScript thread and only re-keyed per message, and the output goes
// where the caller says. src/noise/native-aead.ts loads this
// file and falls back to node:crypto when it was not built.
//
//   seal(key, nonce, ad, plaintexts, out): ENCRYPT(k, n, ad, concatenation of
//     the plaintexts) into out, which must be exactly their total length + 16
//     bytes: the ciphertext, then the tag. No plaintext may overlap out, and
//     there are at most 65536 pieces.
//   open(key, nonce, ad, ciphertextAndTag, out): DECRYPT into out, which must
//     be exactly 16 bytes shorter than the input (or be the input itself:
//     in place is allowed); true when the tag checks, false (and out zeroed)
//     when it does not.
//
// Every argument is checked here, whatever the TypeScript wrapper already
// checked: a wrong length must throw, never read or write past a buffer.
// And no JavaScript runs between reading a buffer's address and the last
// byte written there (an accessor in the plaintexts array runs first).

#include <limits.h>
#include <stdlib.h>
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define KEY_BYTES 32
#define NONCE_BYTES 12
#define TAG_BYTES 16
/** Pieces of one seal() read into a stack array; more are allocated. */
#define FEW_PIECES 32
/**
 * The most pieces one seal() takes: more than a Noise message has bytes.
 * A bound, so that an array of 2^32 - 1 holes is refused before anything
 * is allocated or read for it.
 */
#define MAX_PIECES 65536
/**
 * Bytes given to OpenSSL per update. Its ChaCha20-Poly1305 runs ChaCha20
 * over all it is given, then Poly1305 over the ciphertext: given a whole
 * 64 KiB message, Poly1305 reads the ciphertext back from L2. In 8 KiB
 * slices both passes stay in L1 (8 KiB in, 8 KiB out). Measured on one
 * core, 64 KiB messages: seal 3-5 % and open 4-7 % faster than in one
 * update (bench/NOTES.md, "Slices that stay in L1"). The result is the same: a
 * stream cipher, and Poly1305 buffers partial blocks across updates.
 */
#define UPDATE_SLICE_BYTES 8192

typedef struct {
  EVP_CIPHER_CTX *seal;
  EVP_CIPHER_CTX *open;
} Contexts;

typedef struct {
  unsigned char *data;
  size_t length;
} Bytes;

static napi_value fail (napi_env env, const char *code, const char *message, int range) {
  if (range) napi_throw_range_error(env, code, message);
  else napi_throw_type_error(env, code, message);
  return NULL;
}

/** fail() for the helpers that answer 0 or 1. */
static int failed (napi_env env, const char *code, const char *message, int range) {
  fail(env, code, message, range);
  return 0;
}

/** `value` as a Uint8Array's bytes (a Buffer is one); 0 if it is not one. */
static int as_bytes (napi_env env, napi_value value, Bytes *bytes) {
  bool is_typed_array = false;
  if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok || !is_typed_array) return 0;
  napi_typedarray_type type;
  napi_value array_buffer;
  size_t byte_offset;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, &bytes->length, &data, &array_buffer, &byte_offset) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  // a zero-length view may have no backing store; OpenSSL is never given it
  static unsigned char none[1];
  bytes->data = data == NULL ? none : (unsigned char *)data;
  return 1;
}

/** The call's five arguments and this thread's contexts; 0 (with an exception pending) if either is missing. */
static int get_arguments (napi_env env, napi_callback_info info, napi_value argv[5], Contexts **contexts) {
  size_t argc = 5;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) {
    return failed(env, "ERR_NATIVE_AEAD_ARGUMENTS", "expected five arguments: key, nonce, ad, input, out", 0);
  }
  if (napi_get_instance_data(env, (void **)contexts) != napi_ok || *contexts == NULL) {
    return failed(env, "ERR_NATIVE_AEAD_STATE", "the addon's cipher contexts are missing", 0);
  }
  return 1;
}

/**
 * Key, nonce, AD and out as bytes, checked; 0 (with an exception pending)
 * if any is wrong. Their pointers stay valid only while no JavaScript runs
 * (JavaScript could detach an ArrayBuffer and free its memory), so this is
 * called after the last call that might run any.
 */
static int read_buffers (napi_env env, napi_value argv[5], Bytes *key, Bytes *nonce, Bytes *ad, Bytes *out) {
  if (!as_bytes(env, argv[0], key) || !as_bytes(env, argv[1], nonce) || !as_bytes(env, argv[2], ad) || !as_bytes(env, argv[4], out)) {
    return failed(env, "ERR_NATIVE_AEAD_ARGUMENTS", "key, nonce, ad and out must be Uint8Arrays", 0);
  }
  if (key->length != KEY_BYTES || nonce->length != NONCE_BYTES) {
    return failed(env, "ERR_NATIVE_AEAD_ARGUMENTS", "the key must be 32 bytes and the nonce 12", 1);
  }
  if (ad->length > INT_MAX || out->length > INT_MAX) {
    return failed(env, "ERR_NATIVE_AEAD_ARGUMENTS", "ad and out must be shorter than 2^31 bytes", 1);
  }
  return 1;
}

/**
 * EVP_CipherUpdate over `length` bytes that start `position` bytes into the
 * message, in slices that end where the message's multiples of
 * UPDATE_SLICE_BYTES fall (so a piece that starts mid-block, after a
 * muxer's 12-byte header, is cut on block boundaries too): 1, or 0 when
 * OpenSSL fails.
 */
static int update_sliced (EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *in, size_t length, size_t position) {
  for (size_t done = 0; done < length;) {
    size_t slice = UPDATE_SLICE_BYTES - (position + done) % UPDATE_SLICE_BYTES;
    if (slice > length - done) slice = length - done;
    int written = 0;
    if (EVP_CipherUpdate(ctx, out + done, &written, in + done, (int)slice) != 1 || (size_t)written != slice) return 0;
    done += slice;
  }
  return 1;
}

/** Keys `ctx` for one message and feeds it the associated data. */
static int start (EVP_CIPHER_CTX *ctx, const Bytes *key, const Bytes *nonce, const Bytes *ad, int encrypt) {
  int written = 0;
  if (EVP_CipherInit_ex(ctx, NULL, NULL, key->data, nonce->data, encrypt) != 1) return 0;
  return ad->length == 0 || EVP_CipherUpdate(ctx, NULL, &written, ad->data, (int)ad->length) == 1;
}

/** seal()'s work once every argument is read: 0 with an exception pending on failure. */
static int seal_elements (napi_env env, EVP_CIPHER_CTX *ctx, const Bytes *key, const Bytes *nonce, const Bytes *ad,
                          napi_value *elements, uint32_t count, const Bytes *out) {
  // first every piece is checked, then sealed: nothing is written to out
  // unless all of them fit it exactly and none overlaps it (sealing from
  // bytes that an earlier piece's ciphertext has overwritten would give a
  // message that authenticates and is not the plaintext)
  size_t room = out->length < TAG_BYTES ? 0 : out->length - TAG_BYTES;
  size_t at = 0;
  for (uint32_t i = 0; i < count; i++) {
    Bytes piece;
    if (!as_bytes(env, elements[i], &piece)) {
      return failed(env, "ERR_NATIVE_AEAD_ARGUMENTS", "plaintexts must be an array of Uint8Arrays", 0);
    }
    if (piece.length > room - at) {
      return failed(env, "ERR_NATIVE_AEAD_ARGUMENTS", "out must be exactly the plaintexts' length + 16 bytes", 1);
    }
    if (piece.length > 0 && out->length > 0 && piece.data < out->data + out->length && out->data < piece.data + piece.length) {
      return failed(env, "ERR_NATIVE_AEAD_ARGUMENTS", "a plaintext overlaps out", 1);
    }
    at += piece.length;
  }
  if (out->length < TAG_BYTES || at != room) {
    return failed(env, "ERR_NATIVE_AEAD_ARGUMENTS", "out must be exactly the plaintexts' length + 16 bytes", 1);
  }
  if (!start(ctx, key, nonce, ad, 1)) return failed(env, "ERR_NATIVE_AEAD_OPENSSL", "OpenSSL refused to start a seal", 0);
  at = 0;
  for (uint32_t i = 0; i < count; i++) {
    Bytes piece;
    as_bytes(env, elements[i], &piece);
    if (piece.length == 0) continue;
    // a stream cipher: each update writes exactly what it was given
    if (!update_sliced(ctx, out->data + at, piece.data, piece.length, at)) {
      return failed(env, "ERR_NATIVE_AEAD_OPENSSL", "OpenSSL failed to seal", 0);
    }
    at += piece.length;
  }
  int written = 0;
  if (EVP_CipherFinal_ex(ctx, out->data + at, &written) != 1 || written != 0 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, out->data + at) != 1) {
    return failed(env, "ERR_NATIVE_AEAD_OPENSSL", "OpenSSL failed to finish a seal", 0);
  }
  return 1;
}

static napi_value Seal (napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Contexts *contexts;
  if (!get_arguments(env, info, argv, &contexts)) return NULL;

  bool is_array = false;
  uint32_t count = 0;
  if (napi_is_array(env, argv[3], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[3], &count) != napi_ok) {
    return fail(env, "ERR_NATIVE_AEAD_ARGUMENTS", "plaintexts must be an array of Uint8Arrays", 0);
  }
  if (count > MAX_PIECES) return fail(env, "ERR_NATIVE_AEAD_ARGUMENTS", "plaintexts must be at most 65536 pieces", 1);
  // Every element is fetched before any buffer is read or the cipher
  // started: an element may be an accessor, and the JavaScript it runs
  // could detach a buffer we would write to, or seal on this same context.
  // After this loop nothing runs JavaScript until the seal is done. (A
  // message has a few pieces: they fit on the stack, with no allocation.)
  napi_value few[FEW_PIECES];
  napi_value *elements = count <= FEW_PIECES ? few : calloc(count, sizeof(napi_value));
  if (elements == NULL) return fail(env, "ERR_NATIVE_AEAD_STATE", "out of memory", 0);
  int ok = 1;
  for (uint32_t i = 0; ok && i < count; i++) {
    if (napi_get_element(env, argv[3], i, &elements[i]) != napi_ok) {
      // a getter that threw has its exception pending, and keeps it
      ok = failed(env, "ERR_NATIVE_AEAD_ARGUMENTS", "plaintexts must be an array of Uint8Arrays", 0);
    }
  }
  Bytes key, nonce, ad, out;
  if (ok && read_buffers(env, argv, &key, &nonce, &ad, &out)) {
    seal_elements(env, contexts->seal, &key, &nonce, &ad, elements, count, &out);
  }
  if (elements != few) free(elements);
  return NULL;
}

static napi_value Open (napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Contexts *contexts;
  Bytes key, nonce, ad, out, input;
  if (!get_arguments(env, info, argv, &contexts) || !read_buffers(env, argv, &key, &nonce, &ad, &out)) return NULL;
  if (!as_bytes(env, argv[3], &input)) return fail(env, "ERR_NATIVE_AEAD_ARGUMENTS", "ciphertextAndTag must be a Uint8Array", 0);
  if (input.length < TAG_BYTES || input.length - TAG_BYTES != out.length) {
    return fail(env, "ERR_NATIVE_AEAD_ARGUMENTS", "out must be exactly 16 bytes shorter than ciphertextAndTag", 1);
  }
  // the same bytes or none of them: OpenSSL allows exact in-place only
  if (out.length > 0 && out.data != input.data && out.data < input.data + input.length && input.data < out.data + out.length) {
    return fail(env, "ERR_NATIVE_AEAD_ARGUMENTS", "out overlaps ciphertextAndTag without being it", 1);
  }

  EVP_CIPHER_CTX *ctx = contexts->open;
  size_t length = out.length;
  int written = 0;
  if (!start(ctx, &key, &nonce, &ad, 0) ||
      !update_sliced(ctx, out.data, input.data, length, 0) ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, input.data + length) != 1) {
    return fail(env, "ERR_NATIVE_AEAD_OPENSSL", "OpenSSL failed to open", 0);
  }
  int authentic = EVP_CipherFinal_ex(ctx, out.data + length, &written) == 1;
  // never leave unauthenticated plaintext behind
  if (!authentic && length > 0) OPENSSL_cleanse(out.data, length);
  napi_value result;
  napi_get_boolean(env, authentic, &result);
  return result;
}

static void free_contexts (napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Contexts *contexts = data;
  EVP_CIPHER_CTX_free(contexts->seal);
  EVP_CIPHER_CTX_free(contexts->open);
  free(contexts);
}

NAPI_MODULE_INIT () {
  // one pair of contexts per JavaScript thread (worker threads load their own)
  Contexts *contexts = calloc(1, sizeof(Contexts));
  if (contexts == NULL) return fail(env, "ERR_NATIVE_AEAD_STATE", "out of memory", 0);
  contexts->seal = EVP_CIPHER_CTX_new();
  contexts->open = EVP_CIPHER_CTX_new();
  if (contexts->seal == NULL || contexts->open == NULL ||
      EVP_CipherInit_ex(contexts->seal, EVP_chacha20_poly1305(), NULL, NULL, NULL, 1) != 1 ||
      EVP_CipherInit_ex(contexts->open, EVP_chacha20_poly1305(), NULL, NULL, NULL, 0) != 1) {
    free_contexts(env, contexts, NULL);
    return fail(env, "ERR_NATIVE_AEAD_STATE", "OpenSSL has no ChaCha20-Poly1305", 0);
  }
  if (napi_set_instance_data(env, contexts, free_contexts, NULL) != napi_ok) {
    free_contexts(env, contexts, NULL);
    return fail(env, "ERR_NATIVE_AEAD_STATE", "could not keep the cipher contexts", 0);
  }
  napi_property_descriptor functions[] = {
    { "seal", NULL, Seal, NULL, NULL, NULL, napi_enumerable, NULL },
    { "open", NULL, Open, NULL, NULL, NULL, napi_enumerable, NULL }
  };
  napi_define_properties(env, exports, 2, functions);
  return exports;
}
