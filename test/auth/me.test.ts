// GET /api/me/ and PATCH /api/me/update/ (auth-and-users §5.6–§5.7, DECISIONS Roles and 8).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { SEED_PASSWORD } from '../helpers/seed.js'
import { form, hyphenated, multipart, PNG_1X1 } from './support.js'

const PROFILE_KEYS = ['id', 'full_name', 'email', 'username', 'job_title', 'department', 'first_name', 'last_name',
  'role', 'is_active', 'active', 'avatar', 'joined_at', 'is_staff', 'client_id']

t.test('me and me/update', async t => {
  const media = mkdtempSync(join(tmpdir(), 'enlaight-media-'))
  t.teardown(() => rmSync(media, { recursive: true, force: true }))
  const ctx = await buildTestApp(t, { env: { MEDIA_ROOT: media } })
  const { app, knex, seed } = ctx
  const client = await seed.client('Acme')

  const update = async (user: { id: string }, fields: Record<string, string>, auth?: { authorization: string }) => {
    const f = form(fields)
    return app.inject({ method: 'PATCH', url: '/api/me/update/', payload: f.payload, headers: { ...f.headers, ...(auth ?? await ctx.auth(user as any)) } })
  }
  const login = (username: string, password = SEED_PASSWORD) =>
    app.inject({ method: 'POST', url: '/api/login/', payload: { username, password } })

  t.test('GET /api/me/: 15 fields in order, from the database', async t => {
    const alice = await seed.user({ name: 'alice', client, role: 'MANAGER' })
    await knex('authentication_userprofile').where({ id: alice.id }).update({ full_name: 'Alice L', job_title: 'Lead', department: 'R&D' })
    const res = await app.inject({ method: 'GET', url: '/api/me/', headers: await ctx.auth(alice) })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.same(Object.keys(body), PROFILE_KEYS)
    t.same(body, {
      id: hyphenated(alice.id), full_name: 'Alice L', email: 'alice@example.com', username: 'alice', job_title: 'Lead',
      department: 'R&D', first_name: 'alice', last_name: 'Test', role: 'MANAGER', is_active: true, active: true, avatar: null,
      joined_at: body.joined_at, is_staff: false, client_id: hyphenated(client.id),
    })
    t.match(body.joined_at, /^\d{4}-\d{2}-\d{2}$/)

    await knex('authentication_userprofile').where({ id: alice.id }).update({ avatar: `users/${hyphenated(alice.id)}/avatar.png` })
    const withAvatar = await app.inject({ method: 'GET', url: '/api/me/', headers: { ...(await ctx.auth(alice)), host: 'api.example.org' } })
    t.equal(withAvatar.json().avatar, `http://api.example.org/users/${hyphenated(alice.id)}/avatar.png`, 'absolute URL from the request')
    await knex('authentication_userprofile').where({ id: alice.id }).update({ avatar: '' })
    t.equal((await app.inject({ method: 'GET', url: '/api/me/', headers: await ctx.auth(alice) })).json().avatar, null, "'' = no avatar")
  })

  t.test('me/update: form only, empty values ignored, subset answer, lengths, unique username', async t => {
    const bob = await seed.user({ name: 'bob' })
    await seed.user({ name: 'taken' })
    const auth = await ctx.auth(bob)
    const json = await app.inject({ method: 'PATCH', url: '/api/me/update/', payload: { first_name: 'X' }, headers: auth })
    t.equal(json.statusCode, 415)
    t.same(json.json(), { detail: 'Unsupported media type "application/json" in request.' })
    t.equal((await app.inject({ method: 'PUT', url: '/api/me/update/', ...form({}), headers: { ...form({}).headers, ...auth } })).statusCode, 405)

    const res = await update(bob, { full_name: 'Bob B', first_name: '', last_name: 'Builder', username: 'bobby', job_title: 'ignored', email: 'new@example.com' }, auth)
    t.equal(res.statusCode, 200)
    t.same(Object.keys(res.json()), ['full_name', 'first_name', 'last_name', 'email', 'username', 'avatar', 'role'])
    t.same(res.json(), { full_name: 'Bob B', first_name: 'bob', last_name: 'Builder', email: 'bob@example.com', username: 'bobby', avatar: null, role: 'USER' })
    const row = await knex('authentication_userprofile').where({ id: bob.id }).first()
    t.equal(row.job_title, '', 'job_title is not accepted here')
    t.ok(row.updated_at, 'updated_at is set')

    t.same((await update(bob, { first_name: 'x'.repeat(31) }, auth)).json(), { first_name: ['Ensure this field has no more than 30 characters.'] })
    t.same((await update(bob, { username: 'TAKEN' }, auth)).json(), { username: ['user with this username already exists.'] })
    t.equal((await update(bob, { username: 'BOBBY' }, auth)).statusCode, 200, 'one may keep (re-case) one\'s own name')
  })

  t.test('no self-promotion: a non-admin\'s role is ignored', async t => {
    const carol = await seed.user({ name: 'carol', role: 'MANAGER' })
    const res = await update(carol, { role: 'ADMINISTRATOR', first_name: 'Carol' })
    t.equal(res.statusCode, 200)
    t.equal(res.json().role, 'MANAGER')
    t.equal((await knex('authentication_userprofile').where({ id: carol.id }).first('role')).role, 'MANAGER')
    const unknown = await update(carol, { role: 'SUPERHERO', first_name: 'Caro' })
    t.equal(unknown.statusCode, 200, 'an unknown role from a non-admin is ignored too, not a 400 (§5.7)')
    t.equal((await knex('authentication_userprofile').where({ id: carol.id }).first('role', 'first_name')).role, 'MANAGER')
  })

  t.test('an admin may set a known role, but the last active admin cannot step down', async t => {
    await knex('authentication_userprofile').whereRaw("upper(role) in ('ADMIN', 'ADMINISTRATOR')").delete()
    const root = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
    const inactiveAdmin = await seed.user({ name: 'sleepy', role: 'ADMINISTRATOR', isActive: false })
    t.ok(inactiveAdmin)
    const refused = await update(root, { role: 'USER' })
    t.equal(refused.statusCode, 400)
    t.same(refused.json(), { role: ['The last active administrator cannot change their role.'] })
    t.equal((await knex('authentication_userprofile').where({ id: root.id }).first('role')).role, 'ADMINISTRATOR')

    const unknown = await update(root, { role: 'SUPERHERO' })
    t.equal(unknown.statusCode, 400)
    t.ok(unknown.json().role, 'an unknown role is refused')

    const legacy = await seed.user({ name: 'legacy_admin', role: 'admin' })
    const ok = await update(root, { role: 'MANAGER' })
    t.equal(ok.statusCode, 200, 'another active admin (legacy ADMIN, any case) exists')
    t.equal(ok.json().role, 'MANAGER')
    const last = await update(legacy, { role: 'USER' })
    t.same(last.json(), { role: ['The last active administrator cannot change their role.'] })
    t.equal((await update(legacy, { role: 'ADMINISTRATOR' })).json().role, 'ADMINISTRATOR', 'an admin may normalise their own role')
  })

  t.test('password change: both fields, equal, sign-up rules; revokes refresh tokens', async t => {
    const dave = await seed.user({ name: 'dave' })
    const auth = await ctx.auth(dave)
    t.same((await update(dave, { password: 'new-secret-99' }, auth)).json(), { password_confirm: ['Confirme a senha.'] })
    t.same((await update(dave, { password_confirm: 'new-secret-99' }, auth)).json(), { password: ['Campo obrigatório para alterar senha.'] })
    t.same((await update(dave, { password: 'new-secret-99', password_confirm: 'other-secret-99' }, auth)).json(), { password_confirm: ['As senhas não conferem.'] })
    t.same((await update(dave, { password: '1234567', password_confirm: '1234567' }, auth)).json(), {
      password: ['This password is too short. It must contain at least 8 characters.', 'This password is too common.', 'This password is entirely numeric.'],
    })

    const pairs = [(await login('dave')).json(), (await login('dave')).json()]
    const rotated = (await app.inject({ method: 'POST', url: '/api/refresh/', payload: { refresh: pairs[1].refresh } })).json()
    const res = await update(dave, { password: ' new-secret-99 ', password_confirm: 'new-secret-99' }, auth)
    t.equal(res.statusCode, 200, 'trimmed like login (DECISIONS 8)')
    for (const refresh of [pairs[0].refresh, rotated.refresh]) {
      const r = await app.inject({ method: 'POST', url: '/api/refresh/', payload: { refresh } })
      t.same(r.json(), { detail: 'Invalid refresh token.', error: 'Token is blacklisted' }, 'refresh tokens issued before the change are revoked')
    }
    t.equal((await login('dave')).statusCode, 401, 'the old password no longer works')
    t.equal((await login('dave', 'new-secret-99')).statusCode, 200, 'the new one does')
    const fresh = (await login('dave', 'new-secret-99')).json()
    t.equal((await app.inject({ method: 'POST', url: '/api/refresh/', payload: { refresh: fresh.refresh } })).statusCode, 200)
  })

  t.test('avatar: raster images only, stored as users/<uuid>/avatar<ext>, never overwritten', async t => {
    const erin = await seed.user({ name: 'erin' })
    const auth = await ctx.auth(erin)
    const send = (value: Buffer, filename: string) => {
      const m = multipart([{ name: 'avatar', value, filename, contentType: 'image/png' }, { name: 'first_name', value: 'Erin' }])
      return app.inject({ method: 'PATCH', url: '/api/me/update/', payload: m.payload, headers: { ...m.headers, ...auth } })
    }
    const res = await send(PNG_1X1, 'Me.PNG')
    t.equal(res.statusCode, 200)
    const uuid = hyphenated(erin.id)
    t.equal(res.json().avatar, `http://localhost:80/users/${uuid}/avatar.png`)
    t.equal(res.json().first_name, 'Erin')
    t.ok(readFileSync(join(media, 'users', uuid, 'avatar.png')).equals(PNG_1X1), 'file stored under MEDIA_ROOT')
    t.equal((await knex('authentication_userprofile').where({ id: erin.id }).first('avatar')).avatar, `users/${uuid}/avatar.png`)

    const second = await send(PNG_1X1, 'again.png')
    t.match(second.json().avatar, new RegExp(`/users/${uuid}/avatar_[A-Za-z0-9]{7}\\.png$`), 'a taken name gets a random suffix')
    t.ok(existsSync(join(media, 'users', uuid, 'avatar.png')), 'the old file stays')

    const bad = await send(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), 'evil.png')
    t.equal(bad.statusCode, 400)
    t.same(bad.json(), { avatar: ['Upload a valid image. The file you uploaded was either not an image or a corrupted image.'] })
  })
})
