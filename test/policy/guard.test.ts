// The authorize hook through HTTP: custom operations with x-policy refuse callers without any rule
// (403) before the handler runs; CRUD routes are left to the CRUD engine.
import t from 'tap'
import { routes } from '../../generated/routes.js'
import { ApiError } from '../../src/engine/errors.js'
import { authorizeOperation, checkRoutePolicies, loadPolicies } from '../../src/engine/policy/index.js'
import type { RouteEntry } from '../../src/engine/route-table.js'
import { models } from '../../src/models/index.js'
import { buildTestApp } from '../helpers/app.js'

const policies = loadPolicies('policies', models)
const FORBIDDEN = { detail: 'You do not have permission to perform this action.' }

t.test('every x-policy of openapi.yaml names a model and a known action', async (t) => {
  t.same(checkRoutePolicies(policies, routes as Record<string, RouteEntry>), [])
})

t.test('custom operations: no rule -> 403 before the handler; a rule -> the handler answers', async (t) => {
  const { app, seed, auth } = await buildTestApp(t, { build: { authorize: authorizeOperation(policies) } })
  const client = await seed.client('acme')
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR', client })
  const legacy = await seed.user({ name: 'legacy', role: 'Admin', client })
  const manager = await seed.user({ name: 'boss', role: 'MANAGER', client })
  const guest = await seed.user({ name: 'visitor', role: 'GUEST', client })
  const member = await seed.user({ name: 'member', role: 'USER', client })
  const target = await seed.user({ name: 'target', role: 'USER', client })
  const uuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`

  const rolesUrl = `/api/users/${uuid(target.id)}/roles/`
  for (const who of [manager, guest, member]) {
    const res = await app.inject({ method: 'GET', url: rolesUrl, headers: await auth(who) })
    t.equal(res.statusCode, 403, `${who.username}: listUserRoles refused`)
    t.same(res.json(), FORBIDDEN)
  }
  for (const who of [admin, legacy]) {
    const res = await app.inject({ method: 'GET', url: rolesUrl, headers: await auth(who) })
    t.not(res.statusCode, 403, `${who.username} (${who.role}) passes the guard`)
    t.not(res.statusCode, 401)
  }

  const loginAs = `/api/login-as/${uuid(target.id)}/`
  const refused = await app.inject({ method: 'GET', url: loginAs, headers: await auth(manager) })
  t.equal(refused.statusCode, 403, 'login-as: managers refused')
  const allowed = await app.inject({ method: 'GET', url: loginAs, headers: await auth(admin) })
  t.not(allowed.statusCode, 403, 'login-as: admins pass the guard')

  // saveBoard (custom, update Board): guests are read-only; members pass to the handler's row checks.
  const board = { data: '[]' }
  const guestSave = await app.inject({ method: 'PUT', url: '/api/boards/', headers: await auth(guest), payload: board })
  t.equal(guestSave.statusCode, 403, 'guests cannot save boards')
  const memberSave = await app.inject({ method: 'PUT', url: '/api/boards/', headers: await auth(member), payload: board })
  t.not(memberSave.statusCode, 403, 'a USER passes the guard (row checks are the handler\'s)')

  // No token: authentication answers first (401), the guard never sees an anonymous caller here.
  const anonymous = await app.inject({ method: 'GET', url: rolesUrl })
  t.equal(anonymous.statusCode, 401)
})

t.test('CRUD and n8n operations are not refused by the guard (the engines check rows)', async (t) => {
  const guard = authorizeOperation(policies)
  const table = routes as Record<string, RouteEntry>
  const guest = { id: 'a'.repeat(32), role: 'GUEST' }
  for (const id of ['listUsers', 'createProject', 'deleteClient', 'createKnowledgeBase']) {
    await t.resolves(guard(table[id], { user: guest } as any), `${id} (${table[id].kind}) passes`)
  }
  await t.rejects(guard(table.createUser, { user: guest } as any), { status: 403, body: FORBIDDEN } as any, 'createUser (custom) is refused')
})

t.test('x-policy.forbidden keeps an operation\'s own 403 body', async (t) => {
  const guard = authorizeOperation(policies)
  const base = routes.inviteUser as RouteEntry
  const user = { id: 'b'.repeat(32), role: 'USER' }
  const withBody = { ...base, policy: { action: 'create', subject: 'Invite', forbidden: { error: 'User does not have permission to invite' } } }
  const err = await guard(withBody, { user } as any).then(() => null, (e) => e)
  t.ok(err instanceof ApiError)
  t.equal(err.status, 403)
  t.same(err.body, { error: 'User does not have permission to invite' })
  const withDetail = { ...base, policy: { action: 'create', subject: 'Invite', forbidden: 'Not for you.' } }
  const err2 = await guard(withDetail, { user } as any).then(() => null, (e) => e)
  t.same(err2.body, { detail: 'Not for you.' })
  await t.resolves(guard(withBody, { user: { id: 'c'.repeat(32), role: 'MANAGER' } } as any), 'managers may invite')
})
