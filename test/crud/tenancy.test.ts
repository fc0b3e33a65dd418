// Every resource operation × {administrator, manager, member of project A, member of project B, guest,
// anonymous}: the status, and afterwards the data unchanged whenever the caller was refused. Then: no row of
// tenant A ever reaches tenant B, by id or through any list, filter or search.
import t from 'tap'
import { toUuid } from '../../src/db/ids.js'
import { buildTestApp } from '../helpers/app.js'
import { F, PERSONAS, SEED_USERS, TENANT_A_MARKERS, reseed, snapshot, type Persona } from './fixture.js'

type Expect = Record<Persona, number>
interface Case {
  name: string
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  url: string
  body?: unknown
  expect: Expect
  /** Personas whose successful answer must still leave the data unchanged (e.g. delete of someone else's favorite). */
  noChangeFor?: Persona[]
}

// Shorthands: who may see tenant A's row / write it.
const read = (ok: number): Expect => ({ admin: ok, mgr: ok, ua: ok, ub: 404, guest: ok, anon: 401 })
const adminWrite = (ok: number): Expect => ({ admin: ok, mgr: 403, ua: 403, ub: 404, guest: 403, anon: 401 })
const adminCreate = (ok: number): Expect => ({ admin: ok, mgr: 403, ua: 403, ub: 403, guest: 403, anon: 401 })
const everyone = (ok: number): Expect => ({ admin: ok, mgr: ok, ua: ok, ub: ok, guest: ok, anon: 401 })
const ownerOnly = (ok: number, other = 404): Expect => ({ admin: other, mgr: other, ua: ok, ub: other, guest: other, anon: 401 })
const A = (hex: string) => toUuid(hex)

const CASES: Case[] = [
  // projects
  { name: 'listProjects', method: 'GET', url: '/api/projects/', expect: everyone(200) },
  { name: 'createProject', method: 'POST', url: '/api/projects/', body: { name: 'New', client_id: A(F.clientA) }, expect: adminCreate(201) },
  { name: 'getProject', method: 'GET', url: `/api/projects/${A(F.projectA)}/`, expect: read(200) },
  { name: 'updateProject', method: 'PATCH', url: `/api/projects/${A(F.projectA)}/`, body: { name: 'Renamed' }, expect: adminWrite(200) },
  { name: 'deleteProject', method: 'DELETE', url: `/api/projects/${A(F.projectA)}/`, expect: adminWrite(204) },
  { name: 'listProjectBots', method: 'GET', url: `/api/projects/${A(F.projectA)}/bots/`, expect: read(200) },
  { name: 'attachProjectBots', method: 'POST', url: `/api/projects/${A(F.projectA)}/bots/attach/`, body: { bot_id: A(F.botB) }, expect: adminWrite(200) },
  { name: 'detachProjectBots', method: 'POST', url: `/api/projects/${A(F.projectA)}/bots/detach/`, body: { bot_ids: [A(F.botA)] }, expect: adminWrite(200) },
  { name: 'attachProjectUsers', method: 'POST', url: `/api/projects/${A(F.projectA)}/users/attach/`, body: { user_ids: [A(F.admin)] }, expect: adminWrite(200) },
  { name: 'detachProjectUsers', method: 'POST', url: `/api/projects/${A(F.projectA)}/users/detach/`, body: { user_ids: [A(F.ua)] }, expect: adminWrite(200) },
  // bots
  { name: 'listBots', method: 'GET', url: '/api/bots/', expect: everyone(200) },
  { name: 'createBot', method: 'POST', url: '/api/bots/', body: { name: 'Gamma', url_n8n: 'https://n8n.example.com/webhook/g/chat' }, expect: adminCreate(201) },
  { name: 'getBot', method: 'GET', url: `/api/bots/${A(F.botA)}/`, expect: read(200) },
  { name: 'updateBot', method: 'PATCH', url: `/api/bots/${A(F.botA)}/`, body: { description: 'changed' }, expect: adminWrite(200) },
  { name: 'deleteBot', method: 'DELETE', url: `/api/bots/${A(F.botA)}/`, expect: adminWrite(204) },
  { name: 'setBotExpertise', method: 'POST', url: `/api/bots/${A(F.botA)}/expertise/`, body: { expertise_area: null }, expect: adminWrite(200) },
  // clients
  { name: 'listClients', method: 'GET', url: '/api/clients/', expect: everyone(200) },
  { name: 'createClient', method: 'POST', url: '/api/clients/', body: { name: 'Gamma Corp' }, expect: adminCreate(201) },
  { name: 'getClient', method: 'GET', url: `/api/clients/${A(F.clientA)}/`, expect: read(200) },
  { name: 'updateClient', method: 'PATCH', url: `/api/clients/${A(F.clientA)}/`, body: { name: 'Renamed Corp' }, expect: adminWrite(200) },
  { name: 'deleteClient (in use: 409)', method: 'DELETE', url: `/api/clients/${A(F.clientA)}/`, expect: adminWrite(409) },
  // boards
  { name: 'listBoards', method: 'GET', url: '/api/boards/', expect: everyone(200) },
  { name: 'getBoard', method: 'GET', url: `/api/boards/${A(F.boardA)}/`, expect: read(200) },
  { name: 'updateBoard', method: 'PUT', url: `/api/boards/${A(F.boardA)}/`, body: { data: '[]' }, expect: { admin: 200, mgr: 200, ua: 200, ub: 404, guest: 403, anon: 401 } },
  { name: 'saveBoard', method: 'PUT', url: '/api/boards/', body: { data: '[1]', project_id: A(F.projectA) }, expect: { admin: 200, mgr: 200, ua: 200, ub: 404, guest: 403, anon: 401 } },
  // expertise areas
  { name: 'listExpertiseAreas', method: 'GET', url: '/api/expertise-areas/', expect: everyone(200) },
  { name: 'createExpertiseArea', method: 'POST', url: '/api/expertise-areas/', body: { name: 'Law' }, expect: adminCreate(201) },
  { name: 'getExpertiseArea', method: 'GET', url: `/api/expertise-areas/${A(F.areaA)}/`, expect: everyone(200) },
  { name: 'updateExpertiseArea', method: 'PATCH', url: `/api/expertise-areas/${A(F.areaA)}/`, body: { description: 'x' }, expect: { ...adminCreate(200), ub: 403 } },
  { name: 'deleteExpertiseArea', method: 'DELETE', url: `/api/expertise-areas/${A(F.areaA)}/`, expect: { ...adminCreate(204), ub: 403 } },
  // chat sessions
  { name: 'listChatSessions', method: 'GET', url: '/api/chat-session/', expect: everyone(201) },
  { name: 'createChatSession (bot of A)', method: 'POST', url: '/api/chat-session/', body: { session_key: 'new-key', agent_id: A(F.botA) }, expect: { ...everyone(201), ub: 400 } },
  { name: 'deleteChatSessionByKey', method: 'DELETE', url: '/api/chat-session/', body: { session_key: F.keyA, agent_id: A(F.botA) }, expect: ownerOnly(200) },
  { name: 'deleteChatSessionByKeyAlias', method: 'DELETE', url: '/api/chat-session/delete/', body: { session_key: F.keyA, agent_id: A(F.botA) }, expect: ownerOnly(200) },
  { name: 'getChatSession', method: 'GET', url: `/api/chat-session/${A(F.sessionA)}/`, expect: ownerOnly(200) },
  { name: 'deleteChatSession', method: 'DELETE', url: `/api/chat-session/${A(F.sessionA)}/`, expect: ownerOnly(204) },
  // favorites
  { name: 'listChatFavorites', method: 'GET', url: '/api/chat-favorites/', expect: everyone(200) },
  { name: 'createChatFavorite', method: 'POST', url: '/api/chat-favorites/', body: { session_key: F.keyA, agent_id: A(F.botA), message_id: 'm-new', text: 'x' }, expect: ownerOnly(201) },
  { name: 'getChatFavorite', method: 'GET', url: `/api/chat-favorites/${F.favA}/`, expect: ownerOnly(200) },
  { name: 'deleteChatFavorite', method: 'DELETE', url: `/api/chat-favorites/${F.msgA}/`, expect: everyone(200), noChangeFor: ['admin', 'mgr', 'ub', 'guest'] },
  // users
  { name: 'listUsers', method: 'GET', url: '/api/users/', expect: everyone(200) },
]

t.test('tenancy matrix: status per persona, data unchanged when refused', async t => {
  const { app, knex, auth } = await buildTestApp(t)
  await reseed(knex)
  const headers: Partial<Record<Persona, Record<string, string>>> = { anon: {} }
  for (const p of PERSONAS) if (p !== 'anon') headers[p] = await auth(SEED_USERS[p])
  let before = await snapshot(knex)
  let dirty = false
  for (const c of CASES) {
    for (const persona of PERSONAS) {
      if (dirty) { await reseed(knex); before = await snapshot(knex); dirty = false }
      const res = await app.inject({
        method: c.method, url: c.url, headers: headers[persona],
        ...(c.body !== undefined ? { payload: c.body as object } : {}),
      })
      const expected = c.expect[persona]
      t.equal(res.statusCode, expected, `${c.name} as ${persona}: ${res.statusCode} ${res.body.slice(0, 200)}`)
      if (res.statusCode !== 204) t.match(res.headers['content-type'], /application\/json/, `${c.name} as ${persona}: JSON body`)
      const refused = res.statusCode >= 400 || (c.noChangeFor ?? []).includes(persona)
      const after = await snapshot(knex)
      if (refused) t.equal(after, before, `${c.name} as ${persona}: data unchanged`)
      else dirty = after !== before
    }
  }
})

t.test('tenant B never sees a row of tenant A, by id or through any list, filter or search', async t => {
  const { app, knex, auth } = await buildTestApp(t)
  await reseed(knex)
  const ub = await auth(SEED_USERS.ub)
  const probes = [
    '/api/projects/', '/api/projects/?search=Alpha', `/api/projects/?client__name=Alpha%20Corp`, '/api/projects/?ordering=-client__name&page_size=100',
    `/api/projects/${A(F.projectB)}/bots/`,
    '/api/bots/', '/api/bots/?search=Alpha', '/api/bots/?search=alpha%20project', `/api/bots/${A(F.botShared)}/`,
    '/api/clients/', '/api/clients/?ordering=-name', '/api/boards/', `/api/boards/${A(F.boardB)}/`,
    '/api/chat-session/', '/api/chat-favorites/', `/api/chat-favorites/?agent_id=${A(F.botA)}`, `/api/chat-favorites/?session_key=${F.keyA}`,
    '/api/users/', '/api/users/?search=alpha', '/api/expertise-areas/?search=Finance',
    ...[F.projectA, F.botA, F.clientA, F.boardA, F.sessionA].flatMap(hex => [
      `/api/projects/${hex}/`, `/api/bots/${hex}/`, `/api/clients/${hex}/`, `/api/boards/${hex}/`, `/api/chat-session/${hex}/`,
      `/api/projects/${hex}/bots/`,
    ]),
    `/api/chat-favorites/${F.favA}/`,
  ]
  for (const url of probes) {
    const res = await app.inject({ method: 'GET', url, headers: ub })
    t.ok(res.statusCode < 500, `${url}: ${res.statusCode}`)
    const leaked = TENANT_A_MARKERS.filter(m => res.body.includes(m))
    t.same(leaked, [], `${url}: no tenant-A data (${res.statusCode})`)
  }
  // The shared bot is visible to B, but lists only B's project inside it.
  const shared = await app.inject({ method: 'GET', url: `/api/bots/${A(F.botShared)}/`, headers: ub })
  t.equal(shared.statusCode, 200)
  t.same(shared.json().projects.map((p: any) => p.id), [A(F.projectB)])
  // And A's member sees both projects of that bot, sorted by name.
  const ua = await auth(SEED_USERS.ua)
  const sharedA = await app.inject({ method: 'GET', url: `/api/bots/${A(F.botShared)}/`, headers: ua })
  t.same(sharedA.json().projects.map((p: any) => p.name), ['Alpha Project'])
  const admin = await auth(SEED_USERS.admin)
  const sharedAdmin = await app.inject({ method: 'GET', url: `/api/bots/${A(F.botShared)}/`, headers: admin })
  t.same(sharedAdmin.json().projects.map((p: any) => p.name), ['Alpha Project', 'Beta Project'])

  // Writes by B on A's rows: refused and nothing changed.
  const before = await snapshot(knex)
  const writes: [string, string, unknown][] = [
    ['PATCH', `/api/projects/${F.projectA}/`, { name: 'pwned' }],
    ['DELETE', `/api/projects/${F.projectA}/`, undefined],
    ['POST', `/api/projects/${F.projectB}/bots/attach/`, { bot_id: F.botA }],
    ['POST', `/api/chat-session/`, { session_key: 'x', agent_id: F.botA }],
    ['POST', `/api/chat-favorites/`, { session_key: F.keyA, agent_id: F.botA, message_id: 'x' }],
    ['DELETE', `/api/chat-session/`, { session_key: F.keyA, agent_id: F.botA }],
    ['DELETE', `/api/chat-session/${F.sessionA}/`, undefined],
    ['DELETE', `/api/chat-favorites/${F.msgA}/`, undefined],
    ['PUT', `/api/boards/${F.boardA}/`, { data: 'pwned' }],
    ['PUT', `/api/boards/`, { data: 'pwned', project_id: F.projectA }],
    ['PATCH', `/api/clients/${F.clientA}/`, { name: 'pwned' }],
    ['PATCH', `/api/bots/${F.botA}/`, { name: 'pwned' }],
  ]
  for (const [method, url, body] of writes) {
    const res = await app.inject({ method: method as any, url, headers: ub, ...(body !== undefined ? { payload: body as object } : {}) })
    t.ok(res.statusCode < 500, `${method} ${url}: ${res.statusCode}`)
    t.same(TENANT_A_MARKERS.filter(m => res.body.includes(m)), [], `${method} ${url}: no tenant-A data in the answer`)
  }
  t.equal(await snapshot(knex), before, 'no write of tenant B changed anything')
})
