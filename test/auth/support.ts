// Helpers for the auth tests: JWT decoding, tokens minted the way PyJWT/simplejwt mint them, multipart bodies.
import { createHmac, randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { TEST_SECRET } from '../helpers/app.js'

export interface DecodedJwt { header: Record<string, unknown>, payload: Record<string, unknown>, payloadJson: string }

export function decodeJwt(token: string): DecodedJwt {
  const [h, p] = token.split('.')
  const payloadJson = Buffer.from(p, 'base64url').toString('utf8')
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')), payload: JSON.parse(payloadJson), payloadJson }
}

// Python's json.dumps(..., separators=(",", ":")) with the default ensure_ascii=True.
function pythonJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, ch => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * A token encoded the way the original (PyJWT 2.x under simplejwt) encodes it: header `{"alg":..,"typ":"JWT"}`,
 * compact Python JSON, HMAC-SHA256 over the base64url parts. Built without jose, so it proves interoperability.
 */
export function pyjwt(payload: Record<string, unknown>, options: { key?: string, alg?: string } = {}): string {
  const alg = options.alg ?? 'HS256'
  const header = Buffer.from(pythonJson({ alg, typ: 'JWT' })).toString('base64url')
  const body = Buffer.from(pythonJson(payload)).toString('base64url')
  const hash = alg === 'HS512' ? 'sha512' : 'sha256'
  const signature = alg === 'none' ? '' : createHmac(hash, options.key ?? TEST_SECRET).update(`${header}.${body}`).digest('base64url')
  return `${header}.${body}.${signature}`
}

export const now = () => Math.floor(Date.now() / 1000)
export const hexId = () => randomUUID().replace(/-/g, '')
export const hyphenated = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`

/** Standard simplejwt claims for a user id (32 hex), overridable. */
export function claimsFor(userHex: string, type: 'access' | 'refresh', extra: Record<string, unknown> = {}) {
  const t = now()
  return { token_type: type, exp: t + (type === 'access' ? 7200 : 86400), iat: t, jti: hexId(), user_id: hyphenated(userHex), ...extra }
}

export interface Part { name: string, value: string | Buffer, filename?: string, contentType?: string }

/** A multipart/form-data payload for app.inject. */
export function multipart(parts: Part[]): { payload: Buffer, headers: Record<string, string> } {
  const boundary = `----enlaight${hexId()}`
  const chunks: Buffer[] = []
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`
    if (part.filename !== undefined) head += `; filename="${part.filename}"\r\nContent-Type: ${part.contentType ?? 'application/octet-stream'}`
    chunks.push(Buffer.from(`${head}\r\n\r\n`), Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

export const form = (fields: Record<string, string>) => ({
  payload: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
})

/** Hashes from database.md §7 and ../shared/fixtures (made by Django). */
export const DJANGO_HASHES = {
  vector1M: { password: 'Enlaight-Test-1', hash: 'pbkdf2_sha256$1000000$q7RgZt2LmN4pXv8cWbK3sD$NIw1aDsyzGtKtMDSR1Z83WSJW218A6YNgcAOXG7hC2Q=' },
  vector600k: { password: 'Enlaight-Test-1', hash: 'pbkdf2_sha256$600000$q7RgZt2LmN4pXv8cWbK3sD$PLf718Hn0tw1o3U3ORIAnRKqJWDxR2dWy1CIoFi+LW4=' },
  utf8: { password: 'pässwörd', hash: 'pbkdf2_sha256$1000$q7RgZt2LmN4pXv8cWbK3sD$2J9QYnUiwxCKD03+VG9L2xhHtznsOvQkej1z7t0oJt4=' },
  admin: { password: 'admin1234', hash: 'pbkdf2_sha256$1000000$kp5n0PiKQuP9BTImZ64EjX$xhinKFqbftleRe2/pYaNXv6OpwvFhMVrAbbzI2RdX0A=' },
  member: { password: 'Member-pass-2026', hash: 'pbkdf2_sha256$1000000$TQjeSIu9tgp3d9ebffcArS$9M0jETCuHI/LqcVpn8LYlTmbHpKgoB/rGEAF63XbSqk=' },
  legacy600k: { password: 'Legacy-pass-600k', hash: 'pbkdf2_sha256$600000$8HiET1cNsepSAzH21kVQTs$9+4Fg45YICRUOvpHE2sDclDERKg8Te9ksXFqXo48nGg=' },
}

export async function setPassword(knex: Knex, userHex: string, hash: string) {
  await knex('authentication_userprofile').where({ id: userHex }).update({ password: hash })
}

export async function storedPassword(knex: Knex, userHex: string): Promise<string> {
  return (await knex('authentication_userprofile').where({ id: userHex }).first('password')).password
}

/** A 1x1 PNG. */
export const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
