// Invitations through HTTP with a real SMTP receiver: invite → mail → confirm → login (auth-and-users §5.12,
// §5.13, §6.2, DECISIONS 5 and 8, §12.11, §12.13).
import t from 'tap'
import { SEED_PASSWORD } from '../helpers/seed.js'
import { buildIdentityApp, FRONTEND, linkParams, snapshot } from './helpers.js'

const PASSWORD = 'Invited-pass-2026'
const SENT = { detail: 'Convite enviado com sucesso.' }

t.test('invite → mail → confirm → login', async t => {
  const { app, seed, smtp, knex, auth, login } = await buildIdentityApp(t)
  const client = await seed.client('Acme')
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const project = await seed.project({ name: 'Apollo', client })

  const res = await app.inject({
    method: 'POST', url: '/api/invite/', headers: await auth(admin),
    payload: { email: ' dave+new@example.com ', project_id: project.id, role: 'MANAGER' },
  })
  t.equal(res.statusCode, 200)
  t.same(res.json(), SENT)

  const invitee = await knex('authentication_userprofile').where({ email: 'dave+new@example.com' }).first()
  t.match(invitee, { username: 'dave+new', is_active: 0, role: 'USER', client_id: null }, 'an inactive account waits for the confirmation')
  t.match(invitee.password, /^!/, 'with an unusable password')
  const stored = await knex('authentication_invite').where({ email: 'dave+new@example.com' }).first()
  t.match(stored, { role: 'MANAGER', client_id: client.id, project_id: project.id, sender_id: admin.id })
  t.match(stored.token, /^x[0-9a-f]{31}$/, 'the token is stored as a digest')

  const mail = await smtp.waitFor(m => m.envelopeTo.includes('dave+new@example.com'))
  t.equal(mail.subject, "You're invited to join Enlaight")
  t.match(mail.text, /Olá, dave\+new!/)
  const params = linkParams(mail.links[0], `${FRONTEND}/confirm-invite?token=`)
  t.equal(params.get('email'), 'dave+new@example.com', 'the address is URL-encoded in the link')
  const token = params.get('token')!
  t.match(token, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  t.notOk(stored.token.includes(token.replace(/-/g, '')), 'the database does not hold the token')
  t.equal(mail.links[0], `${FRONTEND}/confirm-invite?token=${token}&email=dave%2Bnew%40example.com`, 'the exact link of §6.2')
  t.ok(mail.text.includes(mail.links[0]) && mail.html.includes(mail.links[0].replace('&', '&amp;')), 'in the text and the HTML part')

  t.equal((await login('dave+new@example.com', PASSWORD)).status, 401, 'no login before the confirmation')

  const weak = await app.inject({ method: 'POST', url: `/api/invite/confirm/?${params}`, payload: { password: 'short' } })
  t.equal(weak.statusCode, 400, 'sign-up password rules (DECISIONS 8)')
  t.same(weak.json(), { password: ['This password is too short. It must contain at least 8 characters.'] })

  const confirm = await app.inject({ method: 'POST', url: `/api/invite/confirm/?${params}`, payload: { password: ` ${PASSWORD} ` } })
  t.equal(confirm.statusCode, 200)
  t.same(confirm.json(), { detail: 'Conta ativada e senha definida com sucesso.' })

  const session = await login('dave+new@example.com', PASSWORD)
  t.equal(session.status, 200, 'the invitee logs in with the (trimmed) password')
  const me = await app.inject({ method: 'GET', url: '/api/me/', headers: { authorization: `Bearer ${session.body.access}` } })
  t.match(me.json(), { email: 'dave+new@example.com', role: 'MANAGER', is_active: true, client_id: client.id.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5') })
  t.ok(await knex('authentication_projects_users').where({ projects_id: project.id, userprofile_id: invitee.id }).first(), 'and is a member of the project')
  t.equal(await knex('authentication_invite').count({ n: '*' }).first().then(r => Number(r!.n)), 0, 'the invite is consumed')

  const reuse = await app.inject({ method: 'POST', url: `/api/invite/confirm/?${params}`, payload: { password: 'Another-pass-99' } })
  t.equal(reuse.statusCode, 400, 'single use')
  t.same(reuse.json(), { error: 'Convite não encontrado' })
})

t.test('two invitations at once each mail their own link', async t => {
  const { app, seed, smtp, auth, login } = await buildIdentityApp(t)
  const client = await seed.client()
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const project = await seed.project({ client })
  const headers = await auth(admin)
  const emails = ['erin@example.com', 'frank@example.com', 'grace@example.com', 'heidi@example.com']
  const answers = await Promise.all(emails.map(email =>
    app.inject({ method: 'POST', url: '/api/invite/', headers, payload: { email, project_id: project.id } })))
  t.same(answers.map(a => a.statusCode), emails.map(() => 200))

  const links = new Map<string, URLSearchParams>()
  for (const email of emails) {
    const mail = await smtp.waitFor(m => m.envelopeTo.includes(email))
    const params = linkParams(mail.links[0], `${FRONTEND}/confirm-invite?`)
    t.equal(params.get('email'), email, `${email}'s mail carries ${email}'s link`)
    links.set(email, params)
  }
  t.equal(new Set([...links.values()].map(p => p.get('token'))).size, emails.length, 'every token differs')

  // Someone else's token does not open another person's invitation.
  const crossed = new URLSearchParams({ email: 'erin@example.com', token: links.get('frank@example.com')!.get('token')! })
  const wrong = await app.inject({ method: 'POST', url: `/api/invite/confirm/?${crossed}`, payload: { password: PASSWORD } })
  t.equal(wrong.statusCode, 400)
  t.same(wrong.json(), { error: 'Convite não encontrado' })

  for (const [email, params] of links) {
    const res = await app.inject({ method: 'POST', url: `/api/invite/confirm/?${params}`, payload: { password: PASSWORD } })
    t.equal(res.statusCode, 200, `${email} confirms with their own link`)
    t.equal((await login(email, PASSWORD)).status, 200, `${email} logs in`)
  }
})

t.test('a failed mail withdraws the invitation; inviting again is the retry', async t => {
  const { app, seed, smtp, knex, auth } = await buildIdentityApp(t)
  const client = await seed.client()
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const project = await seed.project({ client })
  const headers = await auth(admin)
  const before = await snapshot(knex)

  smtp.failDelivery = true
  const failed = await app.inject({ method: 'POST', url: '/api/invite/', headers, payload: { email: 'ivan@example.com', project_id: project.id } })
  t.equal(failed.statusCode, 502)
  t.same(failed.json(), { detail: 'The invitation e-mail could not be sent, so the invitation was withdrawn. Please try again later.' })
  t.same(await snapshot(knex), before, 'no half-made account, no invite left')

  smtp.failDelivery = false
  const retry = await app.inject({ method: 'POST', url: '/api/invite/', headers, payload: { email: 'ivan@example.com', project_id: project.id } })
  t.equal(retry.statusCode, 200, 'the same invitation succeeds once mail works')
  await smtp.waitFor(m => m.envelopeTo.includes('ivan@example.com'))
})

t.test('re-invites: a pending invite is refused, an expired one is replaced (DECISIONS 5)', async t => {
  const { app, seed, smtp, knex, auth } = await buildIdentityApp(t)
  const client = await seed.client()
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const project = await seed.project({ client })
  const headers = await auth(admin)
  const invite = () => app.inject({ method: 'POST', url: '/api/invite/', headers, payload: { email: 'judy@example.com', project_id: project.id } })

  t.equal((await invite()).statusCode, 200)
  const first = await smtp.waitFor(m => m.envelopeTo.includes('judy@example.com'))
  const before = await snapshot(knex)
  const pending = await invite()
  t.equal(pending.statusCode, 400)
  t.same(pending.json(), { detail: 'Already exists a pending invite for this user.' })
  t.same(await snapshot(knex), before, 'the refusal writes nothing (the original left a new account behind)')

  await knex('authentication_invite').where({ email: 'judy@example.com' }).update({ expires_at: '2000-01-01 00:00:00.000000' })
  const expired = await app.inject({ method: 'POST', url: `/api/invite/confirm/?${new URL(first.links[0]).searchParams}`, payload: { password: PASSWORD } })
  t.equal(expired.statusCode, 400)
  t.same(expired.json(), { error: 'Convite expirado' })

  const oldAccount = await knex('authentication_userprofile').where({ email: 'judy@example.com' }).first()
  t.equal((await invite()).statusCode, 200, 'an expired invite does not block a new one')
  t.equal((await knex('authentication_userprofile').where({ id: oldAccount.id }).first()).email, 'judy@example.com+EXPIRED', 'the old inactive account is renamed')
  const invites = await knex('authentication_invite').select('email')
  t.same(invites.map(i => i.email), ['judy@example.com'], 'the expired invite is gone, one new invite')
  const mails = await smtp.waitFor(() => smtp.to('judy@example.com').length === 2).then(() => smtp.to('judy@example.com'))
  const second = new URL(mails[1].links[0]).searchParams
  const oldLink = await app.inject({ method: 'POST', url: `/api/invite/confirm/?${new URL(first.links[0]).searchParams}`, payload: { password: PASSWORD } })
  t.equal(oldLink.statusCode, 400, 'the first link is dead')
  const ok = await app.inject({ method: 'POST', url: `/api/invite/confirm/?${second}`, payload: { password: PASSWORD } })
  t.equal(ok.statusCode, 200, 'the new link works')
})

t.test('existing accounts: administrators are told, managers cannot tell (no enumeration)', async t => {
  const { app, seed, smtp, knex, auth } = await buildIdentityApp(t)
  const client = await seed.client()
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const manager = await seed.user({ name: 'mgr', role: 'MANAGER', client })
  const project = await seed.project({ client, members: [manager] })
  const other = await seed.user({ name: 'outsider', email: 'outsider@example.com' })
  const adminHeaders = await auth(admin)
  const managerHeaders = await auth(manager)
  const before = await snapshot(knex)

  const byAdmin = await app.inject({ method: 'POST', url: '/api/invite/', headers: adminHeaders, payload: { email: other.email, project_id: project.id } })
  t.equal(byAdmin.statusCode, 400)
  t.same(byAdmin.json(), { error: 'User with this email already exists.' })

  const byManager = await app.inject({ method: 'POST', url: '/api/invite/', headers: managerHeaders, payload: { email: 'OUTSIDER@example.com', project_id: project.id } })
  t.equal(byManager.statusCode, 200, 'the manager gets the answer of any invitation')
  t.same(byManager.json(), SENT)
  t.same(await snapshot(knex), before, 'nothing is written')
  const notice = await smtp.waitFor(m => m.envelopeTo.includes(other.email))
  t.match(notice.text, /já tem uma conta/, 'the owner is told they already have an account')
  t.same(notice.links, [`${FRONTEND}/login`, `${FRONTEND}/forgot-password`], 'and gets no invitation link')
})

t.test('input errors answer 400 with the original shapes, never 500', async t => {
  const { app, seed, knex, auth } = await buildIdentityApp(t)
  const client = await seed.client()
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const project = await seed.project({ client })
  const otherClient = await seed.client()
  const headers = await auth(admin)
  const before = await snapshot(knex)
  const cases: Array<[Record<string, unknown>, number, unknown]> = [
    [{ project_id: project.id }, 400, { error: 'Missing required fields: email, project_id' }],
    [{ email: 'a@example.com', project_id: '' }, 400, { error: 'Missing required fields: email, project_id' }],
    [{ email: 'a@example.com', project_id: project.id, role: 'GOD' }, 400, { error: 'Invalid invited role' }],
    [{ email: 'a@example.com', project_id: project.id, role: null }, 400, { error: 'Invalid invited role' }],
    [{ email: 'not an address', project_id: project.id }, 400, { email: ['Enter a valid email address.'] }],
    [{ email: 'a@example.com', project_id: 'nope' }, 400, { project_id: ['Must be a valid UUID.'] }],
    [{ email: 'a@example.com', project_id: project.id, client_id: 'nope' }, 400, { client_id: ['Must be a valid UUID.'] }],
    [{ email: 'a@example.com', project_id: '5f0c6f54-3a5e-4e0b-9d39-2f1b1a8b6c11' }, 404, { error: 'Project não encontrado' }],
    [{ email: 'a@example.com', project_id: project.id, client_id: '5f0c6f54-3a5e-4e0b-9d39-2f1b1a8b6c11' }, 404, { error: 'Client not found' }],
    [{ email: 'a@example.com', project_id: project.id, client_id: otherClient.id }, 400, { error: 'Project does not belong to the informed client' }],
  ]
  for (const [payload, status, body] of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/invite/', headers, payload })
    t.equal(res.statusCode, status, JSON.stringify(payload))
    t.same(res.json(), body)
  }

  const confirmCases: Array<[string, Record<string, unknown>, unknown]> = [
    ['email=a%40example.com', { password: PASSWORD }, { error: 'Campos obrigatórios: email, token, password' }],
    ['email=a%40example.com&token=abc', { password: PASSWORD }, { error: 'Token malformado' }],
    ['email=a%40example.com&token=5f0c6f54-3a5e-4e0b-9d39-2f1b1a8b6c11&project_id=nope', { password: PASSWORD }, { error: 'Convite não encontrado' }],
    ['email=a%40example.com&token=5f0c6f54-3a5e-4e0b-9d39-2f1b1a8b6c11', { password: PASSWORD }, { error: 'Convite não encontrado' }],
    ['email=a%40example.com&token=5f0c6f54-3a5e-4e0b-9d39-2f1b1a8b6c11', { password: '   ' }, { error: 'Campos obrigatórios: email, token, password' }],
  ]
  for (const [query, payload, body] of confirmCases) {
    const res = await app.inject({ method: 'POST', url: `/api/invite/confirm/?${query}`, payload })
    t.equal(res.statusCode, 400, query)
    t.same(res.json(), body)
  }
  t.same(await snapshot(knex), before, 'nothing was written')
})

t.test('an invite made by the original backend (plain token) can still be confirmed', async t => {
  const { app, seed, knex, login } = await buildIdentityApp(t)
  const client = await seed.client()
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const project = await seed.project({ client })
  const invitee = await seed.user({ name: 'legacy', email: 'legacy@example.com', isActive: false })
  const token = '0c1d9a57-3b5e-4a43-9f61-0f4f3c8f5e2a'
  await knex('authentication_invite').insert({
    id: 'aa'.repeat(16), created_at: new Date(), updated_at: null, email: 'legacy@example.com', token: token.replace(/-/g, ''),
    expires_at: new Date(Date.now() + 86400_000), sender_id: admin.id, role: 'USER', client_id: client.id, project_id: project.id,
  })
  const res = await app.inject({ method: 'POST', url: `/api/invite/confirm/?email=legacy%40example.com&token=${token.toUpperCase()}`, payload: { password: PASSWORD } })
  t.equal(res.statusCode, 200)
  t.equal((await login(invitee.email, PASSWORD)).status, 200)
  t.equal((await login(invitee.email, SEED_PASSWORD)).status, 401)
})

t.test('two confirmations of one invitation at once: exactly one wins', async t => {
  const { app, seed, smtp, auth } = await buildIdentityApp(t)
  const client = await seed.client()
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const project = await seed.project({ client })
  await app.inject({ method: 'POST', url: '/api/invite/', headers: await auth(admin), payload: { email: 'kim@example.com', project_id: project.id } })
  const params = new URL((await smtp.waitFor(m => m.envelopeTo.includes('kim@example.com'))).links[0]).searchParams
  const answers = await Promise.all([1, 2].map(() =>
    app.inject({ method: 'POST', url: `/api/invite/confirm/?${params}`, payload: { password: PASSWORD } })))
  t.same(answers.map(a => a.statusCode).sort(), [200, 400])
})

t.test('GET /api/invite/confirm/ redirects old links to the frontend', async t => {
  const { app } = await buildIdentityApp(t)
  const res = await app.inject({ method: 'GET', url: '/api/invite/confirm/?token=abc&email=a%2Bb%40example.com' })
  t.equal(res.statusCode, 302)
  t.equal(res.headers.location, `${FRONTEND}/confirm-invite?token=abc&email=a%2Bb%40example.com`)
  const bare = await app.inject({ method: 'GET', url: '/api/invite/confirm/' })
  t.equal(bare.statusCode, 302)
  t.equal(bare.headers.location, `${FRONTEND}/confirm-invite`)
})
