// What each declared write does (resources.md §4–§10 with DECISIONS): bodies, error shapes, side effects.
import t from 'tap'
import { toUuid } from '../../src/db/ids.js'
import { buildTestApp } from '../helpers/app.js'
import { F, SEED_USERS, reseed } from './fixture.js'

const A = (hex: string) => toUuid(hex)

t.test('projects', async t => {
  const x = await buildTestApp(t)
  await reseed(x.knex)
  const admin = await x.auth(SEED_USERS.admin)
  const call = (method: string, url: string, payload?: unknown) => x.app.inject({ method: method as any, url, headers: admin, ...(payload !== undefined ? { payload: payload as object } : {}) })

  let res = await call('POST', '/api/projects/', {})
  t.equal(res.statusCode, 400)
  t.same(Object.keys(res.json()).sort(), ['client_id', 'name'])
  res = await call('POST', '/api/projects/', { name: '  ', client_id: A(F.clientA) })
  t.same(res.json(), { name: ['This field may not be blank.'] })
  res = await call('POST', '/api/projects/', { name: 'X', client_id: '0b0e5c1e-0000-4000-8000-000000000000' })
  t.same(res.json(), { client_id: ['Invalid pk "0b0e5c1e-0000-4000-8000-000000000000" - object does not exist.'] })
  res = await call('POST', '/api/projects/', { name: '  New  ', client_id: F.clientA.toUpperCase(), description: 'ignored' })
  t.equal(res.statusCode, 201)
  const created = res.json()
  t.same(Object.keys(created), ['id', 'name', 'client', 'client_id', 'created_at', 'updated_at'])
  t.same([created.name, created.client, created.client_id, created.updated_at], ['New', 'Alpha Corp', A(F.clientA), null])
  t.equal((await x.knex('authentication_projects_users').where('projects_id', created.id.replaceAll('-', ''))).length, 0, 'creator not added')

  res = await call('PATCH', `/api/projects/${created.id}/`, {})
  t.equal(res.statusCode, 200)
  t.ok(res.json().updated_at, '{} bumps updated_at')
  res = await call('PATCH', `/api/projects/${A(F.projectA)}/`, { client_id: A(F.clientB) })
  t.equal(res.statusCode, 409, 'moving a project with non-admin members')
  t.match(res.json(), { detail: String })
  res = await call('PATCH', `/api/projects/${created.id}/`, { client_id: A(F.clientB), name: 'Moved' })
  t.equal(res.statusCode, 200)
  t.same([res.json().client, res.json().name], ['Beta Corp', 'Moved'])

  // bots attach/detach
  res = await call('POST', `/api/projects/${A(F.projectA)}/bots/attach/`, {})
  t.same(res.json(), { non_field_errors: ['Provide bot_id or bot_ids.'] })
  res = await call('POST', `/api/projects/${A(F.projectA)}/bots/attach/`, { bot_ids: [] })
  t.same(res.json(), { non_field_errors: ['Provide bot_id or bot_ids.'] })
  res = await call('POST', `/api/projects/${A(F.projectA)}/bots/attach/`, { bot_ids: 'x' })
  t.equal(res.statusCode, 400)
  res = await call('POST', `/api/projects/${A(F.projectA)}/bots/attach/`, { bot_id: null })
  t.equal(res.statusCode, 400)
  const missing = '6b1f2e3d-4c5b-4a69-8877-665544332211'
  res = await call('POST', `/api/projects/${A(F.projectA)}/bots/attach/`, { bot_id: A(F.botB), bot_ids: [F.botA, missing, A(F.botB).toUpperCase()] })
  t.same(res.json(), { attached_now: [A(F.botB)], already_attached: [A(F.botA)], missing: [missing], count_total: 3 }, 'merged, de-duplicated, input order')
  res = await call('POST', `/api/projects/${A(F.projectA)}/bots/detach/`, { bot_ids: [A(F.botB), A(F.botB), missing] })
  t.same(res.json(), { detached_now: [A(F.botB)], not_attached: [], missing: [missing], count_total: 2 })
  res = await call('POST', `/api/projects/${A(F.projectA)}/bots/detach/`, { bot_id: A(F.botB) })
  t.same(res.json(), { detached_now: [], not_attached: [A(F.botB)], missing: [], count_total: 2 })

  // users attach/detach: the client-scope rule
  const nullClientUser = 'dd050000000000000000000000000001'
  await x.knex('authentication_userprofile').insert({ ...(await x.knex('authentication_userprofile').where('id', F.ua).first()), id: nullClientUser, email: 'n@x', username: 'n', client_id: null })
  res = await call('POST', `/api/projects/${A(F.projectA)}/users/attach/`, { user_ids: [A(F.admin), A(F.ub), A(F.ua), nullClientUser, missing] })
  t.same(res.json(), {
    attached_now: [A(F.admin)], already_attached: [A(F.ua)], missing: [missing],
    rejected_cross_client: [A(F.ub), A(nullClientUser)], count_total: 4,
  })
  res = await call('POST', `/api/projects/${A(F.projectA)}/users/detach/`, { user_id: A(F.admin), user_ids: [A(F.ub)] })
  t.same(res.json(), { detached_now: [A(F.admin)], not_attached: [A(F.ub)], missing: [], count_total: 3 })

  // delete cascades (database.md §6)
  res = await call('DELETE', `/api/projects/${A(F.projectA)}/`)
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  for (const [table, col] of [['authentication_projects_users', 'projects_id'], ['authentication_projects_bots', 'projects_id'], ['authentication_boards', 'project_id']]) {
    t.equal((await x.knex(table).where(col, F.projectA)).length, 0, `${table} rows of the project deleted`)
  }
  t.ok(await x.knex('agents').where('id', F.botA).first(), 'bots survive')
})

t.test('bots, expertise areas, clients', async t => {
  const x = await buildTestApp(t)
  await reseed(x.knex)
  const admin = await x.auth(SEED_USERS.admin)
  const call = (method: string, url: string, payload?: unknown) => x.app.inject({ method: method as any, url, headers: admin, ...(payload !== undefined ? { payload: payload as object } : {}) })

  let res = await call('POST', '/api/bots/', { name: 'alpha BOT', url_n8n: 'https://n8n.example.com/x' })
  t.same([res.statusCode, res.json()], [400, { detail: 'A bot with this name already exists.' }], 'duplicate name ignoring case')
  res = await call('POST', '/api/bots/', { name: 'x'.repeat(256), url_n8n: 'https://n8n.example.com/x' })
  t.equal(res.statusCode, 400)
  t.match(res.json().name[0], /no more than 255/)
  res = await call('POST', '/api/bots/', { name: 'Gamma', url_n8n: 'not a url' })
  t.equal(res.statusCode, 400)
  t.ok(res.json().url_n8n)
  res = await call('POST', '/api/bots/', { name: 'Gamma', url_n8n: 'https://n8n.example.com/g', active: true, projects: [A(F.projectA)] })
  t.equal(res.statusCode, 201)
  const gamma = res.json()
  t.same({ ...gamma, id: 'x' }, { id: 'x', name: 'Gamma', description: '', url_n8n: 'https://n8n.example.com/g', expertise_area: null, projects: [] })

  res = await call('PATCH', `/api/bots/${gamma.id}/`, { name: 'ALPHA bot' })
  t.same(res.json(), { name: ['An agent with this name already exists.'] })
  res = await call('PATCH', `/api/bots/${A(F.botA)}/`, { name: 'alpha bot' })
  t.equal(res.statusCode, 200, 'renaming to itself (other case) is fine')
  res = await call('PATCH', `/api/bots/${gamma.id}/`, { projects: [A(F.projectB), A(F.projectA)], expertise_area: A(F.areaA), description: null })
  t.same(res.json().projects.map((p: any) => p.name), ['Alpha Project', 'Beta Project'])
  t.same(res.json().expertise_area, { id: A(F.areaA), name: 'Finance', description: null })
  t.equal(res.json().description, null)
  res = await call('PATCH', `/api/bots/${gamma.id}/`, { projects: ['0b0e5c1e-0000-4000-8000-000000000000'] })
  t.same(res.json(), { projects: ['Invalid pk "0b0e5c1e-0000-4000-8000-000000000000" - object does not exist.'] })
  res = await call('PATCH', `/api/bots/${gamma.id}/`, { projects: [] })
  t.same(res.json().projects, [], '[] unlinks all')
  res = await call('POST', `/api/bots/${gamma.id}/expertise/`, {})
  t.same(res.json().expertise_area?.id, A(F.areaA), 'no key: no change')
  res = await call('POST', `/api/bots/${gamma.id}/expertise/`, { expertise_area: null })
  t.equal(res.json().expertise_area, null)
  res = await call('POST', `/api/bots/${gamma.id}/expertise/`, { expertise_area: '0b0e5c1e-0000-4000-8000-000000000000' })
  t.same(res.json(), { expertise_area: ['Invalid pk "0b0e5c1e-0000-4000-8000-000000000000" - object does not exist.'] })

  res = await call('DELETE', `/api/bots/${A(F.botA)}/`)
  t.equal(res.statusCode, 204)
  t.equal((await x.knex('authentication_chatsession').where('agent_id', F.botA)).length, 0, 'every user\'s sessions with the bot deleted')
  t.equal((await x.knex('authentication_chatfavorite').where('agent_id', F.botA)).length, 0, 'favorites deleted')

  // expertise areas
  res = await call('POST', '/api/expertise-areas/', { name: ' finance ' })
  t.same(res.json(), { name: ['An expertise area with this name already exists.'] })
  res = await call('POST', '/api/expertise-areas/', { name: 'Law' })
  t.same({ ...res.json(), id: 'x' }, { id: 'x', name: 'Law', description: null })
  res = await call('PATCH', `/api/expertise-areas/${A(F.areaA)}/`, { name: 'FINANCE', description: '' })
  t.same([res.statusCode, res.json().name, res.json().description], [200, 'FINANCE', ''])
  await x.knex('agents').where('id', F.botB).update({ expertise_area_id: F.areaA })
  res = await call('DELETE', `/api/expertise-areas/${A(F.areaA)}/`)
  t.equal(res.statusCode, 204)
  t.equal((await x.knex('agents').where('id', F.botB).first()).expertise_area_id, null, 'bots pointing at it get null')

  // clients
  res = await call('POST', '/api/clients/', { name: 'ALPHA CORP' })
  t.same(res.json(), { detail: 'A client with this name already exists.' })
  res = await call('GET', '/api/clients/not-a-uuid/')
  t.same([res.statusCode, res.json()], [400, { detail: 'The client id is not a valid UUID.' }])
  res = await call('GET', '/api/clients/0b0e5c1e-0000-4000-8000-000000000000/')
  t.same([res.statusCode, res.json()], [404, { detail: 'Client not found.' }])
  res = await call('PATCH', `/api/clients/${A(F.clientA)}/`, { name: '' })
  t.equal(res.statusCode, 400)
  res = await call('DELETE', `/api/clients/${A(F.clientB)}/`)
  t.same([res.statusCode, res.json()], [409, { detail: 'The client still has users or projects.' }])
  res = await call('DELETE', `/api/clients/${A(F.clientEmpty)}/`)
  t.equal(res.statusCode, 204)
})

t.test('chat sessions, favorites, boards', async t => {
  const x = await buildTestApp(t)
  await reseed(x.knex)
  const ua = await x.auth(SEED_USERS.ua)
  const call = (method: string, url: string, payload?: unknown) => x.app.inject({ method: method as any, url, headers: ua, ...(payload !== undefined ? { payload: payload as object } : {}) })

  let res = await call('POST', '/api/chat-session/', { agent_id: A(F.botA) })
  t.same([res.statusCode, res.json()], [400, { detail: 'session_key and agent_id are required.' }])
  res = await call('POST', '/api/chat-session/', { session_key: 'k', agent_id: '0b0e5c1e-0000-4000-8000-000000000000' })
  t.same([res.statusCode, res.json()], [400, { detail: 'Agent not found.' }])
  res = await call('POST', '/api/chat-session/', { session_key: F.keyA, agent_id: A(F.botA) })
  t.same([res.statusCode, res.json()], [400, { status: 'error', details: 'Chat session already exists.' }])
  res = await call('POST', '/api/chat-session/', { session_key: 42, agent_id: F.botA, first_message: 'Hi there' })
  t.equal(res.statusCode, 201)
  t.same({ ...res.json(), created_at: 'x' }, { session_key: '42', user: A(F.ua), agent: A(F.botA), data: 'Hi there', created_at: 'x' })

  // favorites: get-or-create, delete all of the caller's with that message id
  const fav = { session_key: F.keyA, agent_id: A(F.botA), message_id: 'm-9', text: 'first' }
  res = await call('POST', '/api/chat-favorites/', fav)
  t.same([res.statusCode, res.json()], [201, { session: F.keyA, agent: A(F.botA), message_id: 'm-9', text: 'first', agent_name: 'Alpha Bot' }])
  res = await call('POST', '/api/chat-favorites/', { ...fav, text: 'second' })
  t.same([res.statusCode, res.json().text], [200, 'first'], 'existing: 200 with the stored row')
  res = await call('POST', '/api/chat-favorites/', { ...fav, session_key: 'nope' })
  t.same([res.statusCode, res.json()], [404, { detail: 'No ChatSession matches the given query.' }])
  res = await call('POST', '/api/chat-favorites/', { ...fav, agent_id: A(F.botB) })
  t.same([res.statusCode, res.json()], [404, { detail: 'No Agents matches the given query.' }])
  res = await call('POST', '/api/chat-favorites/', { ...fav, message_id: '' })
  t.same([res.statusCode, res.json()], [400, { detail: 'session_key, agent_id and message_id are required.' }])
  const id = (await x.knex('authentication_chatfavorite').where('message_id', 'm-9').first()).id
  res = await call('GET', `/api/chat-favorites/${id}/`)
  t.same(Object.keys(res.json()), ['id', 'agent', 'session', 'message_id', 'text', 'created_at'])
  t.equal(res.json().session, A(F.sessionA), 'detail: the session uuid')
  t.same((await call('GET', '/api/chat-favorites/abc/')).json(), { detail: 'Not found.' })
  res = await call('DELETE', '/api/chat-favorites/m-9')
  t.same([res.statusCode, res.json()], [200, { status: 'success', details: 'Favorite deleted.' }], 'also without the slash')
  t.equal((await x.knex('authentication_chatfavorite').where('message_id', 'm-9')).length, 0)
  const odd = 'msg.with.dots/and slash'
  await x.knex('authentication_chatfavorite').insert({ message_id: odd, text: '', created_at: '2026-11-24 10:00:00.000000', agent_id: F.botA, session_id: F.sessionA, user_id: F.ua })
  res = await call('DELETE', `/api/chat-favorites/${encodeURIComponent(odd)}/`)
  t.equal(res.statusCode, 200)
  t.equal((await x.knex('authentication_chatfavorite').where('message_id', odd)).length, 0, 'any URL-encoded message id')

  // delete by key: the session and its favorites
  res = await call('DELETE', '/api/chat-session/', { session_key: F.keyA })
  t.same([res.statusCode, res.json()], [400, { detail: 'session_key and agent_id are required.' }])
  res = await call('DELETE', '/api/chat-session/', { session_key: F.keyA, agent_id: 'bad' })
  t.same([res.statusCode, res.json()], [400, { agent_id: ['Must be a valid UUID.'] }])
  res = await call('DELETE', '/api/chat-session/delete/', { session_key: F.keyA, agent_id: A(F.botA) })
  t.same([res.statusCode, res.json()], [200, { detail: 'Chat session deleted.' }])
  t.equal((await x.knex('authentication_chatfavorite').where('session_id', F.sessionA)).length, 0)
  res = await call('DELETE', '/api/chat-session/', { session_key: F.keyA, agent_id: A(F.botA) })
  t.same([res.statusCode, res.json()], [404, { detail: 'Chat session not found.' }])

  // boards
  res = await call('GET', '/api/boards/')
  t.same(res.json().map((b: any) => [b.config, b.data]), [['alpha secret layout', 'alpha secret layout']])
  res = await call('PUT', `/api/boards/${A(F.boardA)}/`, {})
  t.same([res.statusCode, res.json()], [400, { detail: 'data is required.' }])
  res = await call('PUT', '/api/boards/', { data: '[{"i":"a"}]' })
  t.same([res.statusCode, res.json().data, res.json().project_id], [200, '[{"i":"a"}]', A(F.projectA)], 'default: the first member project')
  t.ok(res.json().updated_at)
  await x.knex('authentication_boards').where('id', F.boardA).delete()
  res = await call('PUT', '/api/boards/', { data: '[]' })
  t.equal(res.statusCode, 201, 'created when the project has no board')
  const admin = await x.auth(SEED_USERS.admin)
  res = await x.app.inject({ method: 'PUT', url: '/api/boards/', headers: admin, payload: { data: '[]' } })
  t.same([res.statusCode, res.json()], [400, { detail: 'No project to save the board for.' }], 'admin member of nothing')
  res = await x.app.inject({ method: 'GET', url: '/api/boards/', headers: admin })
  t.same(res.json(), [], 'admins list member projects only')
  res = await x.app.inject({ method: 'GET', url: `/api/boards/${A(F.boardB)}/`, headers: admin })
  t.equal(res.statusCode, 200, 'but read any board by id')
})
