// POST /api/login/ (auth-and-users §5.1, DECISIONS 4 and 37): variants, errors, claims, re-hash, equal cost.
import t from 'tap'
import { passwordStats } from '../../src/auth/passwords.js'
import { buildTestApp } from '../helpers/app.js'
import { SEED_PASSWORD } from '../helpers/seed.js'
import { decodeJwt, DJANGO_HASHES, form, multipart, setPassword, storedPassword } from './support.js'

const CLAIM_ORDER = ['token_type', 'exp', 'iat', 'jti', 'user_id', 'id', 'full_name', 'email', 'username', 'job_title',
  'department', 'first_name', 'role', 'is_active', 'avatar', 'status', 'joined_at', 'is_superuser', 'is_staff']

t.test('login', async t => {
  const ctx = await buildTestApp(t)
  const { app, knex, seed } = ctx
  const login = (payload: unknown) => app.inject({ method: 'POST', url: '/api/login/', payload: payload as object })

  const alice = await seed.user({ name: 'alice', email: 'Alice@Example.com', role: 'MANAGER' })
  await knex('authentication_userprofile').where({ id: alice.id }).update({
    full_name: 'Alice Liddell', job_title: 'Explorer', department: 'Wonderland', avatar: `users/${alice.id}/avatar.png`,
  })

  t.test('by e-mail, case-insensitive: an enriched pair whose claims follow §2.2 in order', async t => {
    const before = Math.floor(Date.now() / 1000)
    const res = await login({ email: 'alice@EXAMPLE.com', password: SEED_PASSWORD })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.same(Object.keys(body), ['access', 'refresh'])
    const access = decodeJwt(body.access)
    const refresh = decodeJwt(body.refresh)
    t.same(access.header, { alg: 'HS256', typ: 'JWT' })
    t.same(Object.keys(access.payload), CLAIM_ORDER)
    t.same(Object.keys(refresh.payload), CLAIM_ORDER)
    const uuid = `${alice.id.slice(0, 8)}-${alice.id.slice(8, 12)}-${alice.id.slice(12, 16)}-${alice.id.slice(16, 20)}-${alice.id.slice(20)}`
    t.match(access.payload, {
      token_type: 'access', user_id: uuid, id: uuid, full_name: 'Alice Liddell', email: 'Alice@Example.com', username: 'alice',
      job_title: 'Explorer', department: 'Wonderland', first_name: 'alice', role: 'MANAGER', is_active: true,
      avatar: `/users/${alice.id}/avatar.png`, status: null, is_superuser: false, is_staff: false,
    })
    t.match(access.payload.joined_at, /^\d{4}-\d{2}-\d{2}$/)
    t.equal(refresh.payload.token_type, 'refresh')
    t.ok((access.payload.iat as number) >= before)
    t.equal((access.payload.exp as number) - (access.payload.iat as number), 7200)
    t.equal((refresh.payload.exp as number) - (refresh.payload.iat as number), 86400)
    t.match(access.payload.jti, /^[0-9a-f]{32}$/)
    t.match(refresh.payload.jti, /^[0-9a-f]{32}$/)
    t.not(access.payload.jti, refresh.payload.jti)

    const row = await knex('token_blacklist_outstandingtoken').where({ jti: String(refresh.payload.jti) }).first()
    t.ok(row, 'the refresh token is recorded as outstanding')
    t.equal(row.user_id, alice.id)
    t.match(String(row.expires_at), new Date((refresh.payload.exp as number) * 1000).toISOString().slice(0, 19).replace('T', ' '))
    // Like simplejwt, the recorded text is the token before the custom claims were added.
    t.same(Object.keys(decodeJwt(row.token).payload), ['token_type', 'exp', 'iat', 'jti', 'user_id'])
  })

  t.test('by username, case-insensitive, values trimmed; JSON, form and multipart bodies', async t => {
    t.equal((await login({ username: 'ALICE', password: SEED_PASSWORD })).statusCode, 200)
    t.equal((await login({ email: '  alice@example.com ', password: `  ${SEED_PASSWORD}  ` })).statusCode, 200)
    const f = form({ username: 'alice', password: SEED_PASSWORD })
    t.equal((await app.inject({ method: 'POST', url: '/api/login/', ...f })).statusCode, 200)
    const m = multipart([{ name: 'email', value: 'alice@example.com' }, { name: 'password', value: SEED_PASSWORD }])
    t.equal((await app.inject({ method: 'POST', url: '/api/login/', ...m })).statusCode, 200)
    t.equal((await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'alice', password: SEED_PASSWORD } })).statusCode, 200,
      'the slash-less spelling is the same operation')
  })

  t.test('field errors and the exactly-one rule', async t => {
    const cases: Array<[unknown, unknown]> = [
      [{ email: 'alice@example.com' }, { password: ['This field is required.'] }],
      [{ email: '', password: 'x' }, { email: ['This field may not be blank.'] }],
      [{ email: '   ', password: 'x' }, { email: ['This field may not be blank.'] }],
      [{ username: 'alice', password: '   ' }, { password: ['This field may not be blank.'] }],
      [{ email: 'not-an-email', password: 'x' }, { email: ['Informe um email válido no formato example@example.com'] }],
      [{ password: 'x' }, { non_field_errors: ['Informe username ou email.'] }],
      [{ email: 'alice@example.com', username: 'alice', password: 'x' }, { non_field_errors: ['Informe apenas um dos campos: username ou email.'] }],
    ]
    for (const [payload, expected] of cases) {
      const res = await login(payload)
      t.equal(res.statusCode, 400, JSON.stringify(payload))
      t.same(res.json(), expected, JSON.stringify(payload))
    }
    const list = await login([{ email: 'alice@example.com' }])
    t.equal(list.statusCode, 400)
    t.same(list.json(), { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] })
  })

  t.test('one answer for unknown user, wrong password, unusable password and inactive user; a hash every time', async t => {
    const bob = await seed.user({ name: 'bob', isActive: false })
    const carol = await seed.user({ name: 'carol' })
    await setPassword(knex, carol.id, '!unusableunusableunusableunusableunusable1')
    const dave = await seed.user({ name: 'dave' })
    await setPassword(knex, dave.id, '')
    const attempts: Array<[string, unknown]> = [
      ['unknown e-mail', { email: 'nobody@example.com', password: SEED_PASSWORD }],
      ['unknown username', { username: 'nobody', password: SEED_PASSWORD }],
      ['wrong password', { email: 'alice@example.com', password: 'wrong-password' }],
      ['inactive user, right password', { username: 'bob', password: SEED_PASSWORD }],
      ['unusable stored password', { username: 'carol', password: SEED_PASSWORD }],
      ['empty stored password', { username: 'dave', password: SEED_PASSWORD }],
    ]
    for (const [label, payload] of attempts) {
      const before = passwordStats.derivations
      const res = await login(payload)
      t.equal(res.statusCode, 401, label)
      t.same(res.json(), { detail: 'Credenciais inválidas' }, label)
      t.notOk(res.headers['www-authenticate'], `${label}: no WWW-Authenticate on login`)
      t.equal(passwordStats.derivations - before, 1, `${label}: exactly one PBKDF2 derivation`)
    }
    t.equal((await knex('token_blacklist_outstandingtoken').where({ user_id: bob.id })).length, 0, 'no token for the inactive user')
  })

  t.test('a hash with another iteration count is re-hashed to 1,000,000 on success, password column only', async t => {
    const erin = await seed.user({ name: 'erin' })
    const res = await login({ username: 'erin', password: SEED_PASSWORD })
    t.equal(res.statusCode, 200)
    const after = await storedPassword(knex, erin.id)
    t.match(after, /^pbkdf2_sha256\$1000000\$[A-Za-z0-9]{22}\$[A-Za-z0-9+/]{43}=$/)
    const row = await knex('authentication_userprofile').where({ id: erin.id }).first('updated_at')
    t.equal(row.updated_at, null, 'updated_at untouched')
    const before = passwordStats.derivations
    t.equal((await login({ username: 'erin', password: SEED_PASSWORD })).statusCode, 200, 'the new hash verifies')
    t.equal(passwordStats.derivations - before, 1, 'no second re-hash')
    t.equal(await storedPassword(knex, erin.id), after)
  })

  t.test('hashes made by Django verify: database.md §7 vectors and the fixture users (600k and 1M iterations)', async t => {
    for (const [name, { password, hash }] of Object.entries(DJANGO_HASHES)) {
      const user = await seed.user({ name: `dj_${name}` })
      await setPassword(knex, user.id, hash)
      const res = await login({ username: `dj_${name}`, password })
      t.equal(res.statusCode, 200, `${name} logs in`)
      const stored = await storedPassword(knex, user.id)
      if (hash.startsWith('pbkdf2_sha256$1000000$')) t.equal(stored, hash, `${name}: a 1M hash is kept`)
      else t.match(stored, /^pbkdf2_sha256\$1000000\$/, `${name}: re-hashed to 1M`)
      if (hash.includes('$1000$')) {
        t.equal((await login({ username: `dj_${name}`, password: `${password}x` })).statusCode, 401, `${name}: a wrong password fails`)
      }
    }
  })
})
