// UUID and datetime conversions (database.md §1.3, §1.4).
import t from 'tap'
import { isHex, newId, toHex, toUuid, toUuidOrNull } from '../../src/db/ids.js'
import {
  dbDateTimeIn, normalizeDbDate, normalizeDbDateTime, nowDb, toApiDateTime, toApiUtcPlus0000, toDbDateTime, todaySaoPaulo,
} from '../../src/db/time.js'

const HEX = 'b5c980414afa479495a198f969a19414'
const UUID = 'b5c98041-4afa-4794-95a1-98f969a19414'

t.test('toHex accepts every spelling Python uuid.UUID accepts', async (t) => {
  for (const s of [
    HEX, UUID, UUID.toUpperCase(), HEX.toUpperCase(), `{${UUID}}`, `{${HEX}}`, `urn:uuid:${UUID}`, `urn:uuid:${HEX}`,
    `urn:uuid:{${UUID}}`, `{{${UUID}}}`, 'b5c9-8041-4afa-4794-95a1-98f9-69a1-9414', `${UUID}-`, `uuid:${UUID}`,
  ]) {
    t.equal(toHex(s), HEX, s)
  }
})

t.test('toHex rejects everything else (null, never throws)', async (t) => {
  for (const s of [
    '', 'x', HEX.slice(1), `${HEX}0`, `g${HEX.slice(1)}`, ` ${HEX}`, `${HEX} `, `URN:UUID:${HEX}`, `0x${HEX.slice(2)}`,
    `${HEX.slice(0, 31)}_`, '../../etc/passwd', `${HEX}\u0000`, '１'.repeat(32), 'a'.repeat(1000),
  ]) {
    t.equal(toHex(s), null, JSON.stringify(s))
  }
  for (const v of [null, undefined, 42, {}, [HEX], true]) t.equal(toHex(v), null, String(v))
})

t.test('toUuid / toUuidOrNull / newId', async (t) => {
  t.equal(toUuid(HEX), UUID)
  t.equal(toUuid(UUID.toUpperCase()), UUID)
  t.throws(() => toUuid('nope'))
  t.equal(toUuidOrNull(null), null)
  t.equal(toUuidOrNull(''), null)
  t.equal(toUuidOrNull(HEX), UUID)
  const ids = new Set(Array.from({ length: 1000 }, () => newId()))
  t.equal(ids.size, 1000)
  t.ok([...ids].every((id) => isHex(id)), '32 lowercase hex')
  t.ok([...ids].every((id) => id[12] === '4'), 'version 4')
  t.ok([...ids].every((id) => '89ab'.includes(id[16])), 'RFC 4122 variant')
})

t.test('datetimes: storage text, microseconds kept, API offsets', async (t) => {
  t.match(nowDb(), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/)
  t.equal(toDbDateTime(new Date('2026-11-24T02:31:05.391Z')), '2026-11-24 02:31:05.391000')
  t.equal(normalizeDbDateTime('2026-11-24 08:20:57.242406'), '2026-11-24 08:20:57.242406')
  t.equal(normalizeDbDateTime('2026-11-24 08:20:57'), '2026-11-24 08:20:57.000000')
  t.equal(normalizeDbDateTime('2026-11-24T08:20:57.5Z'), '2026-11-24 08:20:57.500000')
  t.equal(normalizeDbDateTime(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), '2026-01-02 03:04:05.006000')
  t.equal(normalizeDbDateTime(null), null)
  t.throws(() => normalizeDbDateTime('yesterday'))
  t.equal(normalizeDbDate('2026-11-24'), '2026-11-24')
  // resources.md §1.8 examples: Sao Paulo offset, microseconds only when non-zero.
  t.equal(toApiDateTime('2026-11-24 02:31:03.773783'), '2026-11-23T23:31:03.773783-03:00')
  t.equal(toApiDateTime('2026-11-24 02:30:41.000000'), '2026-11-23T23:30:41-03:00')
  t.equal(toApiDateTime(null), null)
  // Across offset changes (the offset is looked up once per quarter hour): the last daylight-saving period
  // (-02:00 until 2019-02-17 02:00 UTC) and local mean time before 1914 (-03:06:28, printed as -03:06).
  t.equal(toApiDateTime('2019-02-17 01:59:59.000000'), '2019-02-16T23:59:59-02:00')
  t.equal(toApiDateTime('2019-02-17 02:00:00.000000'), '2019-02-16T23:00:00-03:00')
  t.equal(toApiDateTime('2018-11-04 02:59:59.000000'), '2018-11-03T23:59:59-03:00')
  t.equal(toApiDateTime('2018-11-04 03:00:00.000000'), '2018-11-04T01:00:00-02:00')
  t.equal(toApiDateTime('1914-01-01 03:06:27.000000'), '1913-12-31T23:59:59-03:06')
  t.equal(toApiDateTime('1914-01-01 03:06:28.000000'), '1914-01-01T00:06:28-03:00')
  t.equal(toApiUtcPlus0000('2026-11-24 02:31:05.391971'), '2026-11-24T02:31:05.391971+0000')
  t.equal(todaySaoPaulo(new Date('2026-11-24T01:27:00Z')), '2026-11-23', 'the local date, not the UTC date')
  const later = dbDateTimeIn(3600, '2026-11-24 23:30:00.123456')
  t.equal(later, '2026-11-25 00:30:00.123456')
})
