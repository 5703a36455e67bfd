// The optional native ChaCha20-Poly1305 (../../native/chachapoly.c, RFC
// 8439, Noise's ChaChaPoly, noise.md rev 34 §12.3): the same OpenSSL that
// node:crypto uses, without node:crypto's reallocated outputs and per-message
// contexts.
//
// `npm install` builds it (the "install" script runs node-gyp) into
// build/Release/chachapoly.node. When it is missing (no compiler on the
// machine, or P2P_NATIVE_AEAD=0), `nativeAead` is undefined and
// ./crypto-node.ts seals and opens through node:crypto instead: the same
// bytes, checked against the same vectors, a third slower or more per
// message.

import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export interface NativeAead {
  /**
   * ENCRYPT(k, n, ad, concatenation of `plaintexts`) into `out`, which must
   * be exactly their total length + 16: the ciphertext, then the tag. No
   * plaintext may overlap `out`; at most 65536 pieces.
   */
  seal: (key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintexts: readonly Uint8Array[], out: Uint8Array) => void
  /**
   * DECRYPT(k, n, ad, ciphertextAndTag) into `out`, exactly 16 bytes
   * shorter than the input (or the input itself). False, with `out` zeroed,
   * when the tag does not check.
   */
  open: (key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertextAndTag: Uint8Array, out: Uint8Array) => boolean
}

/** Where node-gyp puts the addon, relative to the package root. */
const ADDON_PATH = path.join('build', 'Release', 'chachapoly.node')

/** The package root: the nearest directory above this file with a package.json (src/noise and dist/src/noise alike). */
function packageRoot (): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let depth = 0; depth < 5; depth++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir
    dir = path.dirname(dir)
  }
  return undefined
}

function load (): { aead: NativeAead | undefined, status: string } {
  if (process.env.P2P_NATIVE_AEAD === '0') return { aead: undefined, status: 'turned off by P2P_NATIVE_AEAD=0' }
  const root = packageRoot()
  const file = root === undefined ? undefined : path.join(root, ADDON_PATH)
  if (file === undefined || !fs.existsSync(file)) return { aead: undefined, status: `not built (no ${ADDON_PATH}; \`npm install\` builds it with node-gyp)` }
  try {
    return { aead: createRequire(import.meta.url)(file) as NativeAead, status: `loaded from ${file}` }
  } catch (err) {
    return { aead: undefined, status: `failed to load ${file}: ${(err as Error).message}` }
  }
}

const loaded = load()

/** The addon, or undefined when it is not built or turned off. */
export const nativeAead: NativeAead | undefined = loaded.aead

/** Why nativeAead is or is not there, for the benchmark report and for debugging. */
export const nativeAeadStatus: string = loaded.status
