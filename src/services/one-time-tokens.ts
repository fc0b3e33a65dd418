// One-time secrets of the e-mail flows (password reset, invitation): made with a CSPRNG, stored only as
// a digest in the existing columns (no schema change), compared in constant time (auth-and-users §12.8).
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { toHex } from '../db/ids.js'

/** Reset tokens live 1 hour (auth-and-users §5.14); invitations 15 days (§5.12). */
export const RESET_TOKEN_TTL_S = 60 * 60
export const INVITE_TTL_S = 15 * 24 * 60 * 60

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/** 64 characters from [A-Za-z0-9] like the original's reset token (~381 bits), by rejection sampling. */
export function newResetToken(length = 64): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= 248) continue // 248 = 4 * 62: only bytes that map uniformly
      out += ALNUM[byte % 62]
      if (out.length === length) break
    }
  }
  return out
}

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

// ── password_reset_token (varchar(128)) ──
// Stored as `sha256$<64 hex>`. The prefix tells a digest from a plain token the original stored, so a
// pending reset made before the switch-over still works for its hour, and a leaked digest is useless
// as a token (it is hashed again before the comparison).
const RESET_PREFIX = 'sha256$'

export function resetTokenDigest(token: string): string {
  return `${RESET_PREFIX}${sha256Hex(token)}`
}

/** Constant-time check of a presented reset token against the stored column value. */
export function resetTokenMatches(stored: string | null | undefined, presented: string): boolean {
  if (!stored) {
    equalConstantTime(resetTokenDigest(presented), resetTokenDigest('')) // same work as a real comparison
    return false
  }
  if (stored.startsWith(RESET_PREFIX)) return equalConstantTime(stored, resetTokenDigest(presented))
  // Legacy plain token (written by the original): compare digests, so the time does not depend on where they differ.
  return equalConstantTime(sha256Hex(stored), sha256Hex(presented))
}

// ── authentication_invite.token (char(32), UNIQUE) ──
// The link carries a UUID4 (the original's format, §6.2). The column holds `x` + the first 31 hex digits of
// the SHA-256 of its 32-hex form (124 bits): the `x` can never occur in a UUID, so a stored digest cannot be
// replayed as a token and a legacy row (plain UUID hex, from the original) is recognised and still honoured.
const INVITE_MARK = 'x'

export interface NewInviteToken { token: string, digest: string }

/** A fresh invitation secret: `token` (hyphenated UUID) goes into the link, `digest` into the database. */
export function newInviteToken(): NewInviteToken {
  const token = randomUUID()
  return { token, digest: inviteTokenDigest(token)! }
}

/** Digest of a presented invite token in any UUID spelling, or null when it is not a UUID. */
export function inviteTokenDigest(token: string): string | null {
  const hex = toHex(token)
  return hex === null ? null : `${INVITE_MARK}${sha256Hex(hex).slice(0, 31)}`
}

/** Constant-time check of a presented invite token against the stored column value (digest or legacy hex). */
export function inviteTokenMatches(stored: string | null | undefined, presented: string): boolean {
  const digest = inviteTokenDigest(presented)
  if (!stored || digest === null) return false
  if (stored.startsWith(INVITE_MARK)) return equalConstantTime(stored, digest)
  const legacy = toHex(stored)
  const hex = toHex(presented)!
  return legacy !== null && equalConstantTime(sha256Hex(legacy), sha256Hex(hex))
}

/** timingSafeEqual for strings; unequal lengths are compared against themselves so the time stays the same. */
export function equalConstantTime(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  if (x.length !== y.length) {
    timingSafeEqual(x, x)
    return false
  }
  return timingSafeEqual(x, y)
}
