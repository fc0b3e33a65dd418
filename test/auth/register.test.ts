// POST /api/create/ (auth-and-users §5.2, §3.5, §12.4): shape, normalisation, every field error at once.
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { decodeJwt, hexId, multipart } from './support.js'

t.test('register', async t => {
  const { app, knex, seed } = await buildTestApp(t)
  const create = (payload: unknown) => app.inject({ method: 'POST', url: '/api/create/', payload: payload as object })
  const valid = { username: 'alice', email: 'Alice@Example.COM', first_name: 'Alice', last_name: 'Liddell', password: 'wonderland-42' }

  t.test('201 with the user and an enriched pair; domain lower-cased; a caller-chosen id is ignored', async t => {
    const chosen = '4f6f2618-d583-4d91-ad2c-894ed7e38d1f'
    const res = await create({ ...valid, id: chosen, role: 'ADMINISTRATOR', is_staff: true, client_id: hexId() })
    t.equal(res.statusCode, 201)
    const body = res.json()
    t.same(Object.keys(body), ['user', 'access', 'refresh'])
    t.same(Object.keys(body.user), ['id', 'username', 'email', 'first_name', 'last_name', 'client_id'])
    t.match(body.user, { username: 'alice', email: 'Alice@example.com', first_name: 'Alice', last_name: 'Liddell', client_id: null })
    t.match(body.user.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    t.not(body.user.id, chosen, '§12.4: id is not writable')

    const row = await knex('authentication_userprofile').where({ id: body.user.id.replace(/-/g, '') }).first()
    t.match(row, {
      email: 'Alice@example.com', role: 'USER', full_name: '', job_title: '', department: '', client_id: null,
      updated_at: null,
    })
    t.ok(Boolean(row.is_active) && Boolean(row.active) && !Boolean(row.is_staff) && !Boolean(row.is_superuser), 'flags')
    t.match(row.password, /^pbkdf2_sha256\$1000000\$[A-Za-z0-9]{22}\$/)
    t.match(row.joined_at, /^\d{4}-\d{2}-\d{2}$/)
    const claims = decodeJwt(body.access).payload
    t.equal(claims.user_id, body.user.id)
    t.equal(claims.role, 'USER')
    const outstanding = await knex('token_blacklist_outstandingtoken').where({ jti: decodeJwt(body.refresh).payload.jti }).first()
    t.equal(outstanding?.user_id, row.id)
    const login = await app.inject({ method: 'POST', url: '/api/login/', payload: { email: 'alice@example.com', password: 'wonderland-42' } })
    t.equal(login.statusCode, 200, 'the new account logs in')
  })

  t.test('every failing field at once', async t => {
    const res = await create({})
    t.equal(res.statusCode, 400)
    t.same(res.json(), {
      username: ['This field is required.'], email: ['This field is required.'], first_name: ['This field is required.'],
      last_name: ['This field is required.'], password: ['This field is required.'],
    })
    t.same(Object.keys(res.json()), ['username', 'email', 'first_name', 'last_name', 'password'])
  })

  t.test("Django's password validators, all messages together", async t => {
    const cases: Array<[string, string[]]> = [
      ['98765', ['This password is too short. It must contain at least 8 characters.', 'This password is entirely numeric.']],
      ['Password123', ['This password is too common.']],
      ['12345678', ['This password is too common.', 'This password is entirely numeric.']],
      ['  abc  ', ['This password is too short. It must contain at least 8 characters.']],
    ]
    for (const [password, messages] of cases) {
      const res = await create({ ...valid, username: `u${hexId().slice(0, 6)}`, email: `${hexId().slice(0, 6)}@example.com`, password })
      t.equal(res.statusCode, 400, password)
      t.same(res.json(), { password: messages }, password)
    }
  })

  t.test('uniqueness is case-insensitive; other field errors', async t => {
    await seed.user({ name: 'taken', email: 'taken@example.com' })
    const dup = await create({ ...valid, username: 'TAKEN', email: 'TAKEN@EXAMPLE.COM' })
    t.equal(dup.statusCode, 400)
    t.same(dup.json(), { username: ['user with this username already exists.'], email: ['user with this email already exists.'] })
    // Schema-level faults (lengths, format, missing) are reported together...
    const bad = await create({ username: 'x'.repeat(151), email: 'nope', last_name: 'y'.repeat(151), password: 'long-enough-1' })
    t.same(bad.json(), {
      username: ['Ensure this field has no more than 150 characters.'],
      email: ['Enter a valid email address.'],
      first_name: ['This field is required.'],
      last_name: ['Ensure this field has no more than 150 characters.'],
    })
    // ...and so are the checks that need the handler (trimmed blanks, uniqueness, password rules).
    const late = await create({ username: 'fresh', email: 'Taken@example.com', first_name: '  ', last_name: 'Z', password: '1234' })
    t.same(late.json(), {
      email: ['user with this email already exists.'],
      first_name: ['This field may not be blank.'],
      password: ['This password is too short. It must contain at least 8 characters.', 'This password is too common.', 'This password is entirely numeric.'],
    })
  })

  t.test('text that must never reach SQL: NUL characters, lone surrogates, NFKC growth past the column', async t => {
    const res = await create({ ...valid, email: 'fresh@example.com', username: '\uFDFA'.repeat(10), first_name: 'A\u0000B', last_name: 'x\uD800y' })
    t.equal(res.statusCode, 400)
    t.same(res.json(), {
      username: ['Ensure this field has no more than 150 characters.'],
      first_name: ['Null characters are not allowed.'],
      last_name: ['Surrogate characters are not allowed: U+D800.'],
    })
  })

  t.test('multipart body (what the client sends); the username is NFKC-normalised', async t => {
    const m = multipart([
      { name: 'username', value: 'ｂｏｂ' }, { name: 'email', value: 'bob@example.com' }, { name: 'first_name', value: 'Bob' },
      { name: 'last_name', value: 'Builder' }, { name: 'password', value: 'can-we-fix-it' },
    ])
    const res = await app.inject({ method: 'POST', url: '/api/create/', ...m })
    t.equal(res.statusCode, 201)
    t.equal(res.json().user.username, 'bob')
    const again = await create({ ...valid, username: 'BOB', email: 'other@example.com' })
    t.same(again.json(), { username: ['user with this username already exists.'] })
  })
})
