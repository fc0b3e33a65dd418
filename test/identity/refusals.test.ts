// Every identity operation refused for each role DECISIONS.md refuses (Roles matrix), with nothing written and
// no mail sent: anonymous → 401, inactive → 401, refused roles → 403, invisible projects → 404.
import t from 'tap'
import { settleBackgroundWork } from '../../src/services/mailer.js'
import { buildIdentityApp, snapshot, sleep } from './helpers.js'

t.test('refusals per role', async t => {
  const { app, seed, knex, auth, smtp } = await buildIdentityApp(t)
  const client = await seed.client()
  const otherClient = await seed.client()
  const manager = await seed.user({ name: 'mgr', role: 'MANAGER', client })
  const memberProject = await seed.project({ client, members: [manager] })
  const foreignProject = await seed.project({ client: otherClient })
  const target = await seed.user({ name: 'target', role: 'USER', client })
  await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const personas = {
    anonymous: null,
    inactiveAdmin: await seed.user({ name: 'sleepy', role: 'ADMINISTRATOR', isActive: false }),
    manager,
    user: await seed.user({ name: 'usr', role: 'USER', client }),
    guest: await seed.user({ name: 'gst', role: 'GUEST', client }),
    unknownRole: await seed.user({ name: 'odd', role: 'superuser', client }),
  }
  const headersOf: Record<string, Record<string, string>> = {}
  for (const [name, persona] of Object.entries(personas)) headersOf[name] = persona ? await auth(persona) : {}
  // Make the admin inactive only after its token was issued: a token of a deactivated account is refused.
  await knex('authentication_userprofile').where({ id: personas.inactiveAdmin.id }).update({ is_active: false })

  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  const adminOnly: Array<{ label: string, method: string, url: string, payload?: unknown, headers?: Record<string, string> }> = [
    { label: 'createUser', method: 'POST', url: '/api/users/', payload: 'full_name=Eve&email=eve%40example.com&role=ADMINISTRATOR', headers: form },
    { label: 'listUserRoles', method: 'GET', url: `/api/users/${target.id}/roles/` },
    { label: 'addUserRole', method: 'POST', url: `/api/users/${target.id}/roles/add/`, payload: { role: 'Admins' } },
    { label: 'removeUserRole', method: 'DELETE', url: `/api/users/${target.id}/roles/remove/`, payload: { role: 'Admins' } },
    { label: 'loginAs', method: 'GET', url: `/api/login-as/${target.id}/` },
    { label: 'listImpersonations', method: 'GET', url: '/api/login-as/log/' },
  ]
  // The group must exist for remove to reach the permission-independent part of the original.
  await knex('auth_group').insert({ name: 'Admins' })
  const group = await knex('auth_group').where({ name: 'Admins' }).first()
  await knex('authentication_userprofile_groups').insert({ userprofile_id: target.id, group_id: group.id })

  const before = await snapshot(knex)
  for (const op of adminOnly) {
    for (const [name] of Object.entries(personas)) {
      const res = await app.inject({ method: op.method as any, url: op.url, payload: op.payload as any, headers: { ...headersOf[name], ...op.headers } })
      const expected = name === 'anonymous' || name === 'inactiveAdmin' ? 401 : 403
      t.equal(res.statusCode, expected, `${op.label} as ${name} → ${expected}`)
    }
  }

  const invite = (name: string, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/api/invite/', headers: headersOf[name], payload })
  const inviteCases: Array<[string, Record<string, unknown>, number, unknown]> = [
    ['anonymous', { email: 'x@example.com', project_id: memberProject.id }, 401, undefined],
    ['inactiveAdmin', { email: 'x@example.com', project_id: memberProject.id }, 401, undefined],
    ['user', { email: 'x@example.com', project_id: memberProject.id }, 403, { error: 'User does not have permission to invite' }],
    ['guest', { email: 'x@example.com', project_id: memberProject.id }, 403, { error: 'User does not have permission to invite' }],
    ['unknownRole', { email: 'x@example.com', project_id: memberProject.id }, 403, { error: 'User does not have permission to invite' }],
    ['manager', { email: 'x@example.com', project_id: foreignProject.id }, 404, { error: 'Project não encontrado' }],
    ['manager', { email: 'x@example.com', project_id: memberProject.id, role: 'ADMINISTRATOR' }, 403, { error: 'Manager cannot invite an ADMINISTRATOR' }],
    ['manager', { email: 'x@example.com', project_id: memberProject.id, client_id: otherClient.id }, 200, null], // ignored for managers
  ]
  for (const [name, payload, status, body] of inviteCases) {
    if (status === 200) continue // the allowed case runs last, after the snapshot comparison
    const res = await invite(name, payload)
    t.equal(res.statusCode, status, `invite as ${name} ${JSON.stringify(payload)} → ${status}`)
    if (body) t.same(res.json(), body)
  }
  await settleBackgroundWork()
  await sleep(100)
  t.same(await snapshot(knex), before, 'no refused request wrote anything')
  t.equal(smtp.messages.length, 0, 'and no mail went out')

  // What managers may do: invite into their member project, as MANAGER or USER; a client_id is ignored.
  const [, payload] = inviteCases[inviteCases.length - 1]
  const allowed = await invite('manager', { ...payload, role: 'MANAGER' })
  t.equal(allowed.statusCode, 200, 'a manager invites into a member project')
  const stored = await knex('authentication_invite').where({ email: 'x@example.com' }).first()
  t.equal(stored.client_id, client.id, "the project's client, not the one the manager named")
  await smtp.waitFor(m => m.envelopeTo.includes('x@example.com'))
})
