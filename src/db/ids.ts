// UUID helpers. Storage form: 32 lowercase hex digits (Django's uuid.hex, database.md §1.3).
// API form: hyphenated lowercase (str(uuid)). Convert only at the edge.
import { randomUUID } from 'node:crypto'

const HEX32 = /^[0-9a-f]{32}$/

/**
 * Normalise any spelling Python's uuid.UUID(hex=...) accepts to 32 lowercase hex, else null.
 * Python removes 'urn:' and 'uuid:' (case-sensitive), strips '{'/'}' from both ends, removes every
 * hyphen and requires exactly 32 hex digits (any case). Python's int() quirks ('0x', '_', '+', blanks)
 * are deliberately not accepted. Non-strings give null.
 */
export function toHex(input: unknown): string | null {
  if (typeof input !== 'string') return null
  if (input.length > 64) return null
  if (HEX32.test(input)) return input // storage form already: the common case, on every row read
  // Same steps as CPython: replace('urn:', ''), replace('uuid:', ''), strip('{}'), replace('-', '').
  let s = input.split('urn:').join('').split('uuid:').join('')
  s = s.replace(/^[{}]+/, '').replace(/[{}]+$/, '')
  s = s.replace(/-/g, '').toLowerCase()
  return HEX32.test(s) ? s : null
}

/** A key to compare in storage form: a uuid spelling becomes 32 hex, anything else stays as it is. */
export function storageKey<T>(value: T): T | string {
  return typeof value === 'string' ? toHex(value) ?? value : value
}

/** True when the value is already in storage form. */
export function isHex(input: unknown): input is string {
  return typeof input === 'string' && HEX32.test(input)
}

/** 32-hex (or any accepted spelling) -> hyphenated lowercase. Throws on garbage. */
export function toUuid(hex: string): string {
  const h = toHex(hex)
  if (h === null) throw new TypeError(`not a UUID: ${JSON.stringify(hex)}`)
  return hyphenate(h)
}

function hyphenate(h: string): string {
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** Nullable variant for output of optional FK columns. */
export function toUuidOrNull(hex: string | null | undefined): string | null {
  if (hex === null || hex === undefined || hex === '') return null
  const h = toHex(hex)
  return h === null ? null : hyphenate(h)
}

/** A new random v4 id in storage form. */
export function newId(): string {
  return randomUUID().replace(/-/g, '')
}
