// Issue 7 (faults): a client that hangs up mid-upload leaves nothing half-written: no row changed, no file
// stored, and the server keeps serving. Runs a real server process on the suite's database (SQLite or MariaDB).
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t from 'tap'
import { issuePair } from '../../src/auth/tokens.js'
import { bindModels } from '../../src/models/index.js'
import { createTestDatabase } from '../helpers/database.js'
import { startServer } from '../helpers/server.js'
import { createSeeder } from '../helpers/seed.js'
import { bearer, databaseFingerprint, multipartBody, pngBytes, rawRequest, sleep, timedFetch } from './support.js'

const SECRET = 'disconnect-test-secret-key-0123456789'

t.test('clients that hang up mid-request', async t => {
  const db = await createTestDatabase()
  const media = mkdtempSync(join(tmpdir(), 'enl-disconnect-media-'))
  const server = await startServer({ DATABASE_URL: db.url, SECRET_KEY: SECRET, RATE_LIMIT: 'off', MEDIA_ROOT: media }, 60_000)
  t.teardown(async () => {
    await server.stop('SIGKILL')
    await db.destroy()
    rmSync(media, { recursive: true, force: true })
  })
  const seed = createSeeder(db.knex)
  const alice = await seed.user({ name: 'alice' })
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const models = bindModels(db.knex)
  const tokenFor = async (id: string) => {
    const row = await models.User.query().findById(id)
    return (await issuePair(row!, { config: { secretKey: SECRET }, knex: db.knex })).access
  }
  const aliceToken = await tokenFor(alice.id)
  const adminToken = await tokenFor(admin.id)

  const avatarUpload = multipartBody([
    { name: 'full_name', value: 'Alice Half' },
    { name: 'first_name', value: 'Half' },
    { name: 'avatar', value: pngBytes(512 * 1024), filename: 'me.png', contentType: 'image/png' },
  ])
  const newUserUpload = multipartBody([
    { name: 'email', value: 'half@example.com' },
    { name: 'first_name', value: 'Half' },
    { name: 'role', value: 'USER' },
    { name: 'avatar', value: pngBytes(256 * 1024), filename: 'new.png', contentType: 'image/png' },
  ])
  const registration = Buffer.from(JSON.stringify({
    username: 'halfway', email: 'halfway@example.com', first_name: 'Half', last_name: 'Way', password: 'Str0ng-pass-2026!', password_confirm: 'Str0ng-pass-2026!',
  }))
  const loginBody = Buffer.from(JSON.stringify({ username: 'alice', password: 'Seed-pass-2026', padding: 'x'.repeat(4096) }))

  const cases = [
    { name: 'PATCH /api/me/update/ avatar, a third of the file sent', method: 'PATCH', path: '/api/me/update/', token: aliceToken, upload: avatarUpload, fraction: 1 / 3 },
    { name: 'PATCH /api/me/update/ avatar, all but the closing boundary', method: 'PATCH', path: '/api/me/update/', token: aliceToken, upload: avatarUpload, missing: 10 },
    { name: 'POST /api/users/ multipart with avatar, half sent', method: 'POST', path: '/api/users/', token: adminToken, upload: newUserUpload, fraction: 1 / 2 },
    { name: 'POST /api/create/ JSON cut short', method: 'POST', path: '/api/create/', token: null, upload: { body: registration, contentType: 'application/json' }, fraction: 1 / 2 },
    { name: 'POST /api/login/ JSON cut short', method: 'POST', path: '/api/login/', token: null, upload: { body: loginBody, contentType: 'application/json' }, missing: 1 },
  ]

  for (const c of cases) {
    t.test(c.name, async t => {
      const before = await databaseFingerprint(db.knex)
      const req = await rawRequest(server.url, {
        method: c.method, path: c.path, body: c.upload.body,
        headers: { 'content-type': c.upload.contentType, ...(c.token ? bearer(c.token) : {}) },
      })
      const bytes = c.missing !== undefined ? c.upload.body.length - c.missing : Math.floor(c.upload.body.length * c.fraction!)
      await req.send(bytes)
      await sleep(300) // the server is now parsing a body that will never be complete
      req.abort()
      await sleep(500)
      t.same(await databaseFingerprint(db.knex), before, 'no table changed')
      t.same(files(media), [], 'no file stored under MEDIA_ROOT')
      t.equal((await timedFetch(`${server.url}/api/health/`)).status, 200, 'the server still answers')
      t.equal((await timedFetch(`${server.url}/api/me/`, { headers: bearer(aliceToken) })).status, 200, 'and still reaches the database')
    })
  }

  t.test('a client that sends everything and hangs up at once: all or nothing', async t => {
    const req = await rawRequest(server.url, {
      method: 'PATCH', path: '/api/me/update/', body: avatarUpload.body,
      headers: { 'content-type': avatarUpload.contentType, ...bearer(aliceToken) },
    })
    await req.send()
    req.abort()
    await sleep(1500)
    const row = await db.knex('authentication_userprofile').where({ id: alice.id }).first('avatar', 'full_name')
    const stored = files(media)
    if (row.avatar) {
      t.equal(row.full_name, 'Alice Half', 'the row was updated as a whole')
      t.same(stored, [resolve(media, row.avatar)], 'exactly the file the row names exists')
    } else {
      t.equal(row.full_name, '', 'the row was not touched')
      t.same(stored, [], 'and no file exists')
    }
    // Reset for the control below.
    await db.knex('authentication_userprofile').where({ id: alice.id }).update({ avatar: null, full_name: '', first_name: 'alice' })
    rmSync(join(media, 'users'), { recursive: true, force: true })
  })

  t.test('control: the same upload sent in full is stored', async t => {
    const res = await timedFetch(`${server.url}/api/me/update/`, {
      method: 'PATCH', body: avatarUpload.body, headers: { 'content-type': avatarUpload.contentType, ...bearer(aliceToken) },
    })
    t.equal(res.status, 200, 'the complete upload succeeds (so the cut ones were refused for being cut)')
    const row = await db.knex('authentication_userprofile').where({ id: alice.id }).first('avatar', 'full_name')
    t.equal(row.full_name, 'Alice Half')
    t.ok(row.avatar && existsSync(resolve(media, row.avatar)), 'the file the row names exists')
  })
})

function files(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name))
  }
  return out.sort()
}
