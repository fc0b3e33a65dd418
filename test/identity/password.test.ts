// Password reset through HTTP with a real SMTP receiver: forgot → mail → reset → login (auth-and-users
// §5.14, §5.15, DECISIONS 3 and 8, §12.6, §12.8).
import { spawn } from 'node:child_process'
import t from 'tap'
import { settleBackgroundWork } from '../../src/services/mailer.js'
import { SEED_PASSWORD } from '../helpers/seed.js'
import { buildIdentityApp, FRONTEND, linkParams, sleep, snapshot } from './helpers.js'

const NEW_PASSWORD = 'Brand-new-pass-77'
const swapCase = (s: string) => [...s].map(c => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('')

t.test('forgot → mail → reset → login with the new password; the old refresh token is refused', async t => {
  const { app, seed, smtp, knex, login } = await buildIdentityApp(t)
  const alice = await seed.user({ name: 'alice', email: 'alice+tag@example.com' })
  const before = await login(alice.email, SEED_PASSWORD)
  t.equal(before.status, 200, 'alice has a session')

  const forgot = await app.inject({ method: 'POST', url: '/api/password/forgot/', payload: { email: 'Alice+tag@Example.com' } })
  t.equal(forgot.statusCode, 200)
  t.same(forgot.json(), { detail: 'Email enviado com sucesso' })

  const mail = await smtp.waitFor(m => m.envelopeTo.includes(alice.email))
  t.equal(mail.subject, 'Reset Password')
  t.equal(mail.links.length, 1, 'one link')
  const params = linkParams(mail.links[0], `${FRONTEND}/reset-password/?email=alice%2Btag%40example.com&token=`)
  t.equal(params.get('email'), alice.email, 'the + survives: the address is URL-encoded')
  const token = params.get('token')!
  t.match(token, /^[A-Za-z0-9]{64}$/)

  const row = await knex('authentication_userprofile').where({ id: alice.id }).first()
  t.match(row.password_reset_token, /^sha256\$[0-9a-f]{64}$/, 'only a digest is stored')
  t.notOk(String(row.password_reset_token).includes(token), 'the token itself is not in the database')

  const weak = await app.inject({ method: 'POST', url: `/api/password/reset/?${params}`, payload: { new_password: '12345678' } })
  t.equal(weak.statusCode, 400, 'sign-up rules apply (DECISIONS 8)')
  t.same(weak.json(), { new_password: ['This password is too common.', 'This password is entirely numeric.'] })

  const reset = await app.inject({ method: 'POST', url: `/api/password/reset/?${params}`, payload: { new_password: `  ${NEW_PASSWORD} ` } })
  t.equal(reset.statusCode, 200)
  t.same(reset.json(), { detail: 'Senha redefinida com sucesso' })

  t.equal((await login(alice.email, NEW_PASSWORD)).status, 200, 'the new (trimmed) password logs in')
  t.equal((await login(alice.email, SEED_PASSWORD)).status, 401, 'the old one does not')
  const refresh = await app.inject({ method: 'POST', url: '/api/refresh/', payload: { refresh: before.body.refresh } })
  t.equal(refresh.statusCode, 400, 'the refresh token issued before the change is revoked')
  t.same(refresh.json(), { detail: 'Invalid refresh token.', error: 'Token is blacklisted' })

  const again = await app.inject({ method: 'POST', url: `/api/password/reset/?${params}`, payload: { new_password: 'Another-pass-88' } })
  t.equal(again.statusCode, 400, 'the link is single-use')
  t.same(again.json(), { error: 'Token inválido ou expirado' })
  const after = await knex('authentication_userprofile').where({ id: alice.id }).first()
  t.equal(after.password_reset_token, null)
})

t.test('an unknown address gets the same status, body and time as a known one', async t => {
  const { app, seed, smtp } = await buildIdentityApp(t)
  const knownUser = await seed.user({ name: "known", email: "known@example.com" })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  // The client runs in its own process, as a real one would: the server's after-reply work (lookup, token,
  // mail) must not be measured as client-side delay. It pauses between requests so that work is done.
  const rounds = 150
  const result = await measureInChild(port, knownUser.email, rounds)
  t.same([...new Set(result.answers)].sort(), [
    'known 200 {"detail":"Email enviado com sucesso"}',
    'unknown 200 {"detail":"Email enviado com sucesso"}',
  ], 'every answer, known or unknown, is the same 200 and body')
  // Each round asks for a known and an unknown address back to back, so both see the same load; the median
  // of the per-round differences is near zero unless one path does more work before it replies. Doing the
  // lookup, token and mail before replying costs milliseconds: far more than the bound.
  const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)] }
  const warm = 20
  const differences = result.known.slice(warm).map((k, i) => k - result.unknown[warm + i])
  const typical = median([...result.known.slice(warm), ...result.unknown.slice(warm)])
  const gap = median(differences)
  const bound = Math.max(0.2 * typical, 0.3)
  t.ok(Math.abs(gap) <= bound, `median known − unknown ${gap.toFixed(3)} ms, within ${bound.toFixed(3)} ms (typical reply ${typical.toFixed(3)} ms)`)
  await settleBackgroundWork()
  await smtp.waitFor(() => smtp.to(knownUser.email).length === rounds)
  t.equal(smtp.messages.length, rounds, 'only the known address got mail, once per request')
})

const CLIENT = `
const [port, knownEmail, rounds] = process.argv.slice(1)
const out = { known: [], unknown: [], answers: [] }
for (let i = 0; i < Number(rounds); i++) {
  for (const who of i % 2 === 0 ? ['known', 'unknown'] : ['unknown', 'known']) {
    const email = who === 'known' ? knownEmail : 'nobody' + i + '@example.com'
    const start = performance.now()
    const res = await fetch('http://127.0.0.1:' + port + '/api/password/forgot/', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }),
    })
    const body = await res.text()
    out[who].push(performance.now() - start)
    out.answers.push(who + ' ' + res.status + ' ' + body)
    await new Promise(r => setTimeout(r, 40))
  }
}
process.stdout.write(JSON.stringify(out))
`

function measureInChild(port: number, email: string, rounds: number): Promise<{ known: number[], unknown: number[], answers: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT, String(port), email, String(rounds)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.on('data', d => { stdout += d })
    child.on('error', reject)
    child.on('exit', code => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`timing client exited ${code}`))))
  })
}

t.test('no mail for inactive accounts; malformed addresses are refused; stale tokens are ignored', async t => {
  const { app, seed, smtp, knex } = await buildIdentityApp(t)
  const sleeper = await seed.user({ name: 'sleeper', isActive: false })
  const res = await app.inject({
    method: 'POST', url: '/api/password/forgot/', payload: { email: sleeper.email },
    headers: { authorization: 'Bearer stale.token.here' }, // a public endpoint ignores a bad header (§12.12)
  })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { detail: 'Email enviado com sucesso' })
  await settleBackgroundWork()
  await sleep(100)
  t.equal(smtp.messages.length, 0, 'DECISIONS 3: mail goes only to active accounts')
  t.equal((await knex('authentication_userprofile').where({ id: sleeper.id }).first()).password_reset_token, null, 'no token stored')

  for (const [payload, body] of [
    [{ email: 'not-an-address' }, { email: ['Enter a valid email address.'] }],
    [{}, { email: ['This field is required.'] }],
  ] as const) {
    const bad = await app.inject({ method: 'POST', url: '/api/password/forgot/', payload })
    t.equal(bad.statusCode, 400)
    t.same(bad.json(), body)
  }
})

t.test('reset refuses unknown e-mails, wrong and expired tokens alike, and writes nothing', async t => {
  const { app, seed, smtp, knex } = await buildIdentityApp(t)
  const bob = await seed.user({ name: 'bob' })
  await app.inject({ method: 'POST', url: '/api/password/forgot/', payload: { email: bob.email } })
  const mail = await smtp.waitFor(m => m.envelopeTo.includes(bob.email))
  const token = new URL(mail.links[0]).searchParams.get('token')!
  const qs = (email: string, tok: string) => new URLSearchParams({ email, token: tok }).toString()
  const badToken = { error: 'Token inválido ou expirado' }
  const before = await snapshot(knex)

  for (const [label, url] of [
    ['unknown e-mail', `/api/password/reset/?${qs('ghost@example.com', token)}`],
    ['wrong token', `/api/password/reset/?${qs(bob.email, `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`)}`],
    ['token in another case', `/api/password/reset/?${qs(bob.email, swapCase(token))}`],
  ]) {
    const res = await app.inject({ method: 'POST', url, payload: { new_password: NEW_PASSWORD } })
    t.equal(res.statusCode, 400, label)
    t.same(res.json(), badToken, label)
  }
  const missing = await app.inject({ method: 'POST', url: '/api/password/reset/', payload: { email: bob.email, token, new_password: NEW_PASSWORD } })
  t.equal(missing.statusCode, 400, 'e-mail and token belong in the query string')
  t.same(missing.json(), { error: 'Campos obrigatórios: email, token, new_password' })
  t.same(await snapshot(knex), before, 'nothing was written')

  await knex('authentication_userprofile').where({ id: bob.id }).update({ password_reset_token_expires_at: '2000-01-01 00:00:00.000000' })
  const expired = await app.inject({ method: 'POST', url: `/api/password/reset/?${qs(bob.email, token)}`, payload: { new_password: NEW_PASSWORD } })
  t.equal(expired.statusCode, 400, 'an expired token')
  t.same(expired.json(), badToken)
})

t.test('a second reset request replaces the first token', async t => {
  const { app, seed, smtp } = await buildIdentityApp(t)
  const carol = await seed.user({ name: 'carol' })
  for (let i = 1; i <= 2; i++) {
    await app.inject({ method: 'POST', url: '/api/password/forgot/', payload: { email: carol.email } })
    await smtp.waitFor(() => smtp.to(carol.email).length === i)
  }
  const [first, second] = smtp.to(carol.email).map(m => new URL(m.links[0]).searchParams)
  const old = await app.inject({ method: 'POST', url: `/api/password/reset/?${first}`, payload: { new_password: NEW_PASSWORD } })
  t.equal(old.statusCode, 400, 'the first link no longer works')
  const fresh = await app.inject({ method: 'POST', url: `/api/password/reset/?${second}`, payload: { new_password: NEW_PASSWORD } })
  t.equal(fresh.statusCode, 200, 'the latest one does')
})

t.test('two resets with the same link at once: exactly one wins', async t => {
  const { app, seed, smtp, login } = await buildIdentityApp(t)
  const dan = await seed.user({ name: 'dan' })
  await app.inject({ method: 'POST', url: '/api/password/forgot/', payload: { email: dan.email } })
  const params = new URL((await smtp.waitFor(m => m.envelopeTo.includes(dan.email))).links[0]).searchParams
  const [a, b] = await Promise.all(['First-pass-111', 'Second-pass-222'].map(new_password =>
    app.inject({ method: 'POST', url: `/api/password/reset/?${params}`, payload: { new_password } })))
  t.same([a.statusCode, b.statusCode].sort(), [200, 400])
  const winner = a.statusCode === 200 ? 'First-pass-111' : 'Second-pass-222'
  t.equal((await login(dan.email, winner)).status, 200, 'the password of the request that won is the one set')
})
