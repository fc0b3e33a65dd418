// Admin-created users and a user's groups through HTTP (auth-and-users §5.8b–§5.10, DECISIONS 7, §12.1, §12.2).
import t from 'tap'
import { buildIdentityApp, snapshot } from './helpers.js'

// A 1x1 PNG.
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5e0a3d40000000049454e44ae426082', 'hex')

/** A multipart/form-data body as a browser's FormData sends it. */
function multipart(fields: Record<string, string>, file?: { name: string, filename: string, type: string, data: Buffer }) {
  const boundary = '----enlaightTestBoundary7MA4YWxkTrZu0gW'
  const chunks: Buffer[] = []
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`))
  }
  if (file) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`))
    chunks.push(file.data, Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

t.test('an administrator creates users; the password is unusable until reset (DECISIONS 7)', async t => {
  const { app, seed, smtp, knex, auth, login } = await buildIdentityApp(t)
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const headers = await auth(admin)
  await seed.user({ name: 'carol', email: 'carol@elsewhere.example' }) // takes the username "carol"

  const form = multipart({ full_name: '  Carol Danvers ', email: 'carol@Example.COM', role: 'MANAGER', job_title: 'Pilot', department: 'Ops', joined_at: '1999-01-01' },
    { name: 'avatar', filename: 'me.PNG', type: 'image/png', data: PNG })
  const res = await app.inject({ method: 'POST', url: '/api/users/', payload: form.payload, headers: { ...headers, ...form.headers } })
  t.equal(res.statusCode, 201)
  const body = res.json()
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Sao_Paulo' }).format(new Date())
  t.same(body, {
    id: body.id, full_name: 'Carol Danvers', email: 'carol@example.com', role: 'MANAGER', job_title: 'Pilot', department: 'Ops',
    joined_at: today, avatar: `/users/${body.id}/avatar.png`, active: true, is_staff: false, is_active: true, client_id: null,
  })
  const row = await knex('authentication_userprofile').where({ id: body.id.replace(/-/g, '') }).first()
  t.equal(row.username, 'carol1', 'a unique username from the e-mail')
  t.match(row.password, /^![A-Za-z0-9]{40}$/, 'an unusable password')

  const second = multipart({ full_name: 'Carol Two', email: 'carol@third.example' })
  const res2 = await app.inject({ method: 'POST', url: '/api/users/', payload: second.payload, headers: { ...headers, ...second.headers } })
  t.equal(res2.statusCode, 201, 'a second user from the same local part is no 500 (§12.13)')
  t.equal((await knex('authentication_userprofile').where({ email: 'carol@third.example' }).first()).username, 'carol2')

  // The owner sets a password through the reset flow.
  await app.inject({ method: 'POST', url: '/api/password/forgot/', payload: { email: 'carol@example.com' } })
  const mail = await smtp.waitFor(m => m.envelopeTo.includes('carol@example.com'))
  const reset = await app.inject({ method: 'POST', url: `/api/password/reset/?${new URL(mail.links[0]).searchParams}`, payload: { new_password: 'Captain-Marvel-1' } })
  t.equal(reset.statusCode, 200)
  t.equal((await login('carol@example.com', 'Captain-Marvel-1')).status, 200)

  const form3 = new URLSearchParams({ full_name: 'Dup', email: 'CAROL@example.com' }).toString()
  const dup = await app.inject({ method: 'POST', url: '/api/users/', payload: form3, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(dup.statusCode, 400)
  t.same(dup.json(), { email: ['user with this email already exists.'] })
})

t.test('POST /api/users/ input errors', async t => {
  const { app, seed, knex, auth } = await buildIdentityApp(t)
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const headers = await auth(admin)
  const before = await snapshot(knex)
  const json = await app.inject({ method: 'POST', url: '/api/users/', payload: { full_name: 'X', email: 'x@example.com' }, headers })
  t.equal(json.statusCode, 415)
  t.same(json.json(), { detail: 'Unsupported Media Type. Use multipart/form-data.' })

  const empty = multipart({})
  const missing = await app.inject({ method: 'POST', url: '/api/users/', payload: empty.payload, headers: { ...headers, ...empty.headers } })
  t.equal(missing.statusCode, 400)
  t.same(missing.json(), { full_name: ['This field is required.'], email: ['This field is required.'] })

  const badRole = multipart({ full_name: 'X', email: 'x@example.com', role: 'GOD' })
  const role = await app.inject({ method: 'POST', url: '/api/users/', payload: badRole.payload, headers: { ...headers, ...badRole.headers } })
  t.equal(role.statusCode, 400)
  t.ok(role.json().role, 'a role outside the three is refused')

  const notImage = multipart({ full_name: 'X', email: 'x@example.com' }, { name: 'avatar', filename: 'x.png', type: 'image/png', data: Buffer.from('<svg/>') })
  const avatar = await app.inject({ method: 'POST', url: '/api/users/', payload: notImage.payload, headers: { ...headers, ...notImage.headers } })
  t.equal(avatar.statusCode, 400)
  t.same(avatar.json(), { avatar: ['Upload a valid image. The file you uploaded was either not an image or a corrupted image.'] })
  t.same(await snapshot(knex), before, 'nothing was written')
})

t.test('roles list is public; a user\'s groups are listed, added and removed by administrators', async t => {
  const { app, seed, knex, auth } = await buildIdentityApp(t)
  const roles = { roles: [{ value: 'ADMINISTRATOR', label: 'ADMINISTRATOR' }, { value: 'MANAGER', label: 'MANAGER' }, { value: 'USER', label: 'USER' }] }
  for (const headers of [{}, { authorization: 'Bearer stale' }]) {
    const res = await app.inject({ method: 'GET', url: '/api/roles/', headers })
    t.equal(res.statusCode, 200, 'anonymous, even with a stale token (§12.12)')
    t.same(res.json(), roles)
  }

  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const bob = await seed.user({ name: 'bob' })
  const headers = await auth(admin)
  const url = (id: string, tail = '') => `/api/users/${id}/roles/${tail}`
  const list = async () => (await app.inject({ method: 'GET', url: url(bob.id), headers })).json()

  t.same(await list(), { roles: [] })
  for (const name of ['Editors', 'Admins', 'Editors']) {
    const add = await app.inject({ method: 'POST', url: url(bob.id, 'add/'), headers, payload: { role: name } })
    t.equal(add.statusCode, 200)
    t.same(add.json(), { detail: `Role '${name}' adicionada ao usuário.` })
  }
  t.same(await list(), { roles: ['Editors', 'Admins'] }, 'in insertion order, added twice is harmless')
  t.equal((await knex('auth_group').count({ n: '*' }).first())!.n, 2, 'groups are created on demand')

  const remove = await app.inject({ method: 'DELETE', url: url(bob.id, 'remove/'), headers, payload: { role: 'Editors' } })
  t.equal(remove.statusCode, 200)
  t.same(remove.json(), { detail: "Role 'Editors' removida do usuário." })
  t.same(await list(), { roles: ['Admins'] })
  const again = await app.inject({ method: 'DELETE', url: url(bob.id, 'remove/'), headers, payload: { role: 'Editors' } })
  t.equal(again.statusCode, 200, 'removing a group the user is not in is fine')

  const cases: Array<[string, string, unknown, number, unknown]> = [
    ['POST', url(bob.id, 'add/'), {}, 400, { error: "Campo 'role' obrigatório." }],
    ['DELETE', url(bob.id, 'remove/'), { role: '' }, 400, { error: "Campo 'role' obrigatório." }],
    ['DELETE', url(bob.id, 'remove/'), { role: 'Nope' }, 404, { error: 'Role não encontrada.' }],
    ['GET', url('5f0c6f54-3a5e-4e0b-9d39-2f1b1a8b6c11'), undefined, 404, { error: 'Usuário não encontrado' }],
    ['GET', url('not-a-uuid'), undefined, 404, undefined],
    ['POST', url('5f0c6f54-3a5e-4e0b-9d39-2f1b1a8b6c11', 'add/'), { role: 'X' }, 404, { error: 'Usuário não encontrado' }],
    ['POST', url(bob.id, 'remove/'), { role: 'X' }, 405, undefined],
  ]
  for (const [method, path, payload, status, body] of cases) {
    const res = await app.inject({ method: method as any, url: path, headers, payload: payload as any })
    t.equal(res.statusCode, status, `${method} ${path} ${JSON.stringify(payload)}`)
    if (body) t.same(res.json(), body)
  }
})

t.test('§12.1: a self-registered user cannot mint an administrator', async t => {
  const { app, knex } = await buildIdentityApp(t)
  const signup = new URLSearchParams({ username: 'mallory', email: 'mallory@example.com', first_name: 'M', last_name: 'M', password: 'Mallory-pass-1' })
  const reg = await app.inject({ method: 'POST', url: '/api/create/', payload: signup.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(reg.statusCode, 201)
  const headers = { authorization: `Bearer ${reg.json().access}`, 'content-type': 'application/x-www-form-urlencoded' }
  const before = await snapshot(knex)
  const res = await app.inject({ method: 'POST', url: '/api/users/', headers, payload: 'full_name=Boss&email=boss%40mallory.example&role=ADMINISTRATOR' })
  t.equal(res.statusCode, 403)
  t.same(await snapshot(knex), before, 'no account was made')
})
