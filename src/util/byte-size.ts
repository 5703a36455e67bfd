// Byte counts as people type them: 65536, 64KiB, 1.5MiB. The units are the
// binary ones (IEC 80000-13: KiB = 1024 bytes), also written k, m, g, as the
// benchmark's and perf's figures are in MiB; the result must be a whole
// number of bytes, so 0.1KiB is refused rather than rounded.

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, kib: 2 ** 10, m: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gib: 2 ** 30 }

/** The number of bytes `text` names, or undefined when it names none (or not a whole, safe one). */
export function parseByteSize (text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  if (match === null) return undefined
  const unit = UNITS[match[2].toLowerCase()]
  if (unit === undefined) return undefined
  const bytes = Number(match[1]) * unit
  return Number.isSafeInteger(bytes) ? bytes : undefined
}
