// Datetime storage helpers (database.md §1.4).
//
// Storage form (both dialects): naive UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', the way Django writes
// datetime(6). Models hold datetimes in exactly this string form (never Date), because a JS Date
// cannot keep the microseconds of rows Django wrote, and the API prints them (resources.md §1.8).
// Dates (`joined_at`) are 'YYYY-MM-DD'.

const API_TZ = 'America/Sao_Paulo'

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0')
}

/** Current UTC time in storage form, with microsecond resolution where the platform has it. */
export function nowDb(): string {
  return fromEpochMicros(nowMicros())
}

/** Wall-clock milliseconds (Date.now, so it never drifts from the JWT clock) plus a sub-ms fraction. */
function nowMicros(): number {
  return Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000)
}

function fromEpochMicros(micros: number): string {
  const ms = Math.floor(micros / 1000)
  const d = new Date(ms)
  const frac = micros - ms * 1000 + d.getUTCMilliseconds() * 1000
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(frac, 6)}`
}

/** A Date (or epoch ms) in storage form. */
export function toDbDateTime(d: Date | number): string {
  const ms = typeof d === 'number' ? d : d.getTime()
  if (!Number.isFinite(ms)) throw new RangeError('invalid date')
  return fromEpochMicros(ms * 1000)
}

/** Storage form `seconds` after now (or after `from`). */
export function dbDateTimeIn(seconds: number, from?: string): string {
  const base = from ? parseDbDateTimeMicros(from) : nowMicros()
  return fromEpochMicros(base + Math.round(seconds * 1e6))
}

const DT_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]00:?00)?$/

function parseDbDateTimeMicros(s: string): number {
  const m = DT_RE.exec(s)
  if (!m) throw new RangeError(`not a stored datetime: ${JSON.stringify(s)}`)
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])
  const frac = m[7] ? Number(m[7].padEnd(6, '0')) : 0
  return ms * 1000 + frac
}

/**
 * Normalise whatever a driver or a caller hands over into storage form (or null):
 * a storage-form string (any fraction length, 'T' separator or trailing 'Z' tolerated),
 * a Date (read as UTC), or epoch milliseconds.
 */
export function normalizeDbDateTime(v: unknown): string | null {
  if (v === null || v === undefined) return null
  if (v instanceof Date) return toDbDateTime(v)
  if (typeof v === 'number') return toDbDateTime(v)
  if (typeof v === 'string') {
    if (v === '') return null
    if (DT_RE.test(v)) return fromEpochMicros(parseDbDateTimeMicros(v))
    const ms = Date.parse(v)
    if (Number.isFinite(ms)) return toDbDateTime(ms)
  }
  throw new RangeError(`not a datetime: ${JSON.stringify(v)}`)
}

/** Storage form -> Date (microseconds truncated to milliseconds). */
export function dbDateTimeToDate(s: string): Date {
  return new Date(Math.floor(parseDbDateTimeMicros(s) / 1000))
}

/** Storage form -> epoch seconds (for JWT exp/iat comparisons). */
export function dbDateTimeToEpochSeconds(s: string): number {
  return Math.floor(parseDbDateTimeMicros(s) / 1e6)
}

/** Normalise a DATE value ('YYYY-MM-DD') from either driver. */
export function normalizeDbDate(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null
  if (v instanceof Date) return `${v.getUTCFullYear()}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())}`
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) return v.slice(0, 10)
  throw new RangeError(`not a date: ${JSON.stringify(v)}`)
}

const tzFormatter = new Intl.DateTimeFormat('en-US', {
  timeZone: API_TZ, hourCycle: 'h23',
  year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
})

function zonedParts(ms: number): { y: string; mo: string; d: string; h: string; mi: string; s: string } {
  const p: Record<string, string> = {}
  for (const part of tzFormatter.formatToParts(new Date(ms))) p[part.type] = part.value
  return { y: p.year, mo: p.month, d: p.day, h: p.hour, mi: p.minute, s: p.second }
}

/** Today's date in America/Sao_Paulo ('YYYY-MM-DD'): what Django puts in `joined_at`. */
export function todaySaoPaulo(now: Date = new Date()): string {
  const p = zonedParts(now.getTime())
  return `${p.y}-${p.mo}-${p.d}`
}

/**
 * Storage form -> the API's datetime: ISO 8601 in America/Sao_Paulo with offset, microseconds
 * omitted when zero (resources.md §1.8), e.g. '2026-11-23T23:31:03.773783-03:00'.
 */
export function toApiDateTime(stored: string | null | undefined): string | null {
  if (stored === null || stored === undefined) return null
  const micros = parseDbDateTimeMicros(stored)
  const ms = Math.floor(micros / 1e6) * 1000
  const frac = micros - ms * 1000
  const offsetS = offsetSecondsAt(ms)
  const local = new Date(ms + offsetS * 1000)
  const offMin = Math.round(offsetS / 60)
  const sign = offMin < 0 ? '-' : '+'
  const abs = Math.abs(offMin)
  const fracStr = frac === 0 ? '' : `.${pad(frac, 6)}`
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${fracStr}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

// Asking Intl for every printed datetime was a tenth of a list request's CPU. Zone offsets in whole minutes
// only change on quarter-hour instants, so one lookup per quarter hour serves every datetime in it; local
// mean time (before 1914 here: -03:06:28) is looked up each time.
const QUARTER_HOUR_MS = 15 * 60 * 1000
const offsetByQuarter = new Map<number, number>()

function exactOffsetSeconds(ms: number): number {
  const p = zonedParts(ms)
  return (Date.UTC(+p.y, +p.mo - 1, +p.d, +p.h, +p.mi, +p.s) - ms) / 1000
}

function offsetSecondsAt(ms: number): number {
  const quarter = Math.floor(ms / QUARTER_HOUR_MS)
  const cached = offsetByQuarter.get(quarter)
  if (cached !== undefined) return cached
  const offset = exactOffsetSeconds(quarter * QUARTER_HOUR_MS)
  if (offset % 60 !== 0) return exactOffsetSeconds(ms)
  if (offsetByQuarter.size >= 100_000) offsetByQuarter.clear()
  offsetByQuarter.set(quarter, offset)
  return offset
}

/** Storage form -> UTC with six fraction digits and '+0000' (the bot list's chat_sessions quirk). */
export function toApiUtcPlus0000(stored: string | null | undefined): string | null {
  if (stored === null || stored === undefined) return null
  const s = fromEpochMicros(parseDbDateTimeMicros(stored))
  return `${s.replace(' ', 'T')}+0000`
}
