// Django-compatible PBKDF2 password hashes (database.md §7), computed on the libuv threadpool so the event loop never blocks.
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { promisify } from 'node:util'

const pbkdf2Async = promisify(pbkdf2)

export const ALGORITHM = 'pbkdf2_sha256'
/** Django 5.2's default; DECISIONS 37 keeps it. */
export const DEFAULT_ITERATIONS = 1_000_000
export const SALT_LENGTH = 22
const SALT_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
// A stored count above this is treated as corrupt rather than spending minutes of CPU on it.
const MAX_ITERATIONS = 20_000_000
// Fixed salt for the equal-cost dummy derivation (unknown users, unusable hashes); its result is thrown away.
const DUMMY_SALT = 'enlaightDummySalt00000'

export interface VerifyResult {
  ok: boolean
  /** True after a successful check whose hash uses another iteration count or a short salt (Django re-hashes then). */
  needsRehash: boolean
}

/** Observability for tests: how many PBKDF2 derivations ran (a real or a dummy one each). */
export const passwordStats = { derivations: 0 }

/**
 * How many derivations may run at once. Each one keeps a CPU core and a libuv threadpool slot busy for
 * ~0.3 s; leaving one core for the event loop keeps every other request fast during a burst of logins
 * (bench/login.ts), and leaving one threadpool slot keeps fs and dns.lookup working. Further logins queue.
 */
export const MAX_CONCURRENT_DERIVATIONS = Math.max(1, Math.min(availableParallelism() - 1, Number(process.env.UV_THREADPOOL_SIZE || 4) - 1))
let running = 0
const queue: Array<() => void> = []

async function derive(plain: string, salt: string, iterations: number): Promise<Buffer> {
  passwordStats.derivations++
  if (running >= MAX_CONCURRENT_DERIVATIONS) await new Promise<void>(resolve => queue.push(resolve))
  running++
  try {
    // Django hashes UTF-8 bytes of password and salt, no Unicode normalisation.
    return await pbkdf2Async(Buffer.from(plain, 'utf8'), Buffer.from(salt, 'utf8'), iterations, 32, 'sha256')
  } finally {
    running--
    queue.shift()?.()
  }
}

/** 22 characters from [a-zA-Z0-9], crypto-random, by rejection sampling (no modulo bias). */
export function makeSalt(length = SALT_LENGTH): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= 248) continue // 248 = 4 * 62: keep only bytes that map uniformly
      out += SALT_ALPHABET[byte % 62]
      if (out.length === length) break
    }
  }
  return out
}

export async function hashPassword(plain: string, iterations = DEFAULT_ITERATIONS, salt = makeSalt()): Promise<string> {
  const dk = await derive(plain, salt, iterations)
  return `${ALGORITHM}$${iterations}$${salt}$${dk.toString('base64')}`
}

interface Parsed { iterations: number, salt: string }

function parse(encoded: string): Parsed | null {
  const parts = encoded.split('$')
  if (parts.length !== 4 || parts[0] !== ALGORITHM) return null // covers '', '!unusable' and other algorithms
  if (!/^[1-9][0-9]*$/.test(parts[1])) return null
  const iterations = Number(parts[1])
  if (!Number.isSafeInteger(iterations) || iterations > MAX_ITERATIONS) return null
  if (parts[2] === '') return null
  return { iterations, salt: parts[2] }
}

/** Django's `is_password_usable`, stricter: false for `!…`, `''`, other algorithms and malformed strings. */
export function isUsableHash(encoded: string | null | undefined): boolean {
  return typeof encoded === 'string' && parse(encoded) !== null
}

/**
 * Checks `plain` against a stored Django hash. Unknown users (`null`), unusable (`!…`), empty and malformed
 * hashes never verify but still spend one derivation of the default cost, so timing does not tell them apart.
 */
export async function verifyPassword(plain: string, encoded: string | null | undefined): Promise<VerifyResult> {
  const parsed = typeof encoded === 'string' ? parse(encoded) : null
  if (!parsed) {
    await spendDummyHash(plain)
    return { ok: false, needsRehash: false }
  }
  const dk = await derive(plain, parsed.salt, parsed.iterations)
  const candidate = Buffer.from(`${ALGORITHM}$${parsed.iterations}$${parsed.salt}$${dk.toString('base64')}`, 'utf8')
  const stored = Buffer.from(encoded as string, 'utf8')
  // Lengths of a well-formed hash are public (89 chars); only equal-length buffers reach the constant-time compare.
  const ok = candidate.length === stored.length && timingSafeEqual(candidate, stored)
  return { ok, needsRehash: ok && (parsed.iterations !== DEFAULT_ITERATIONS || parsed.salt.length < SALT_LENGTH) }
}

/** One derivation at the default cost whose result is discarded: the path for accounts that do not exist. */
export async function spendDummyHash(plain: string): Promise<void> {
  await derive(plain, DUMMY_SALT, DEFAULT_ITERATIONS)
}

/** Django's unusable marker: `!` followed by 40 random [a-zA-Z0-9] characters. */
export function makeUnusablePassword(): string {
  return `!${makeSalt(40)}`
}
