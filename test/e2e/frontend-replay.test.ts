// The real frontend, replayed: the Enlaight React client's API calls (auth-and-users §8, resources §14,
// knowledge-bases §9) in the order a user's session makes them, against a listening server over real HTTP,
// with the fake n8n and the fake AWS Translate behind it. The client is imitated as the spec describes it:
// axios with base `<API>/api/`, `Authorization: Bearer <access>` on every request once logged in, tokens in
// localStorage under `enlaight_access_token` / `enlaight_refresh_token`, and an interceptor that answers any
// 401 once per request with `POST refresh/ {refresh}` (no auth header), stores the new access token, keeps
// the OLD refresh token (§8) and retries. Each step asserts exactly the fields the client reads.
import { randomUUID } from 'node:crypto'
import { decodeJwt, SignJWT } from 'jose'
import t, { type Test } from 'tap'
import { toUuid } from '../../src/db/ids.js'
import { startFakeN8n } from '../fakes/n8n.js'
import { startFakeTranslate } from '../fakes/translate.js'
import { TEST_SECRET, buildTestApp } from '../helpers/app.js'
import { SEED_PASSWORD } from '../helpers/seed.js'

const ACCESS = 'enlaight_access_token'
const REFRESH = 'enlaight_refresh_token'

interface Answer { status: number, json: any, headers: Headers, redirected: boolean }
interface Call { method: string, path: string, status: number }
type Body = { json: unknown } | { form: FormData } | undefined

/** The client of src/services/api.ts, as far as the spec describes it. */
class FrontendClient {
  readonly storage = new Map<string, string>() // localStorage
  readonly calls: Call[] = []
  constructor(private readonly api: string) {}

  async request(method: string, path: string, body?: Body): Promise<Answer> {
    let answer = await this.send(method, path, body)
    // The interceptor: any 401 (login included), once per request.
    if (answer.status === 401) {
      const refresh = this.storage.get(REFRESH)
      const renewed = await this.send('POST', 'refresh/', { json: { refresh } }, false)
      if (renewed.status === 200) {
        this.storage.set(ACCESS, renewed.json.access) // the rotated refresh token is discarded (auth §8)
        answer = await this.send(method, path, body)
      } else {
        this.storage.clear() // logged out
      }
    }
    return answer
  }

  private async send(method: string, path: string, body: Body, withAuth = true): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json, text/plain, */*' }
    const access = this.storage.get(ACCESS)
    if (withAuth && access) headers.authorization = `Bearer ${access}`
    let payload: string | FormData | undefined
    if (body && 'json' in body) {
      headers['content-type'] = 'application/json'
      payload = JSON.stringify(body.json)
    } else if (body) {
      payload = body.form // fetch sets multipart/form-data with its boundary, as axios does for FormData
    }
    const res = await fetch(this.api + path, { method, headers, body: payload, redirect: 'follow' })
    const text = await res.text()
    let json: unknown = text
    try { json = text === '' ? null : JSON.parse(text) } catch { /* not JSON: kept as text */ }
    this.calls.push({ method, path, status: res.status })
    return { status: res.status, json, headers: res.headers, redirected: res.redirected }
  }
}

const isUuid = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v)
type Kind = 'string' | 'uuid' | 'boolean' | 'number' | 'array' | 'object' | 'string|null' | 'object|null'
const KIND: Record<Kind, (v: unknown) => boolean> = {
  string: v => typeof v === 'string',
  uuid: isUuid,
  boolean: v => typeof v === 'boolean',
  number: v => typeof v === 'number',
  array: Array.isArray,
  object: v => v !== null && typeof v === 'object' && !Array.isArray(v),
  'string|null': v => v === null || typeof v === 'string',
  'object|null': v => v === null || (typeof v === 'object' && !Array.isArray(v)),
}
/** The fields a screen reads are present with the type it expects. */
function reads(t: Test, value: any, fields: Record<string, Kind>, what: string) {
  for (const [field, kind] of Object.entries(fields)) {
    t.ok(value !== null && typeof value === 'object' && field in value && KIND[kind](value[field]), `${what}.${field} is ${kind}`)
  }
}

t.test('a user session of the React client, in its order', async t => {
  const n8n = await startFakeN8n()
  t.teardown(() => n8n.close())
  const aws = await startFakeTranslate()
  t.teardown(() => aws.close())
  const app = await buildTestApp(t, {
    env: {
      N8N_BASE_URL: n8n.url, N8N_KB_KEY: n8n.key,
      AWS_ACCESS_KEY_ID: 'AKIDFAKEFAKEFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret-access-key', AWS_REGION: 'eu-central-1',
      AWS_ENDPOINT_URL_TRANSLATE: aws.url,
    },
  })
  const origin = await app.app.listen({ host: '127.0.0.1', port: 0 })
  const client = new FrontendClient(`${origin}/api/`)

  // The world the user logs into: two member projects of their client (bots, a KB in one), a project they are
  // not in, a cached translation.
  const acme = await app.seed.client('Acme')
  const other = await app.seed.client('Other')
  const user = await app.seed.user({ name: 'maria', email: 'maria@acme.example', role: 'USER', client: acme })
  const analyst = await app.seed.bot({ name: 'Analyst' })
  const writer = await app.seed.bot({ name: 'Writer' })
  const hidden = await app.seed.bot({ name: 'Hidden' })
  const alpha = await app.seed.project({ name: 'Alpha', client: acme, members: [user], bots: [analyst, writer] })
  await app.seed.project({ name: 'Beta', client: acme, members: [user], bots: [writer] })
  await app.seed.project({ name: 'Gamma', client: other, bots: [hidden] })
  const handbook = n8n.addKb('Handbook', 'Company handbook')
  await app.knex('kb_links').insert({ id: randomUUID().replaceAll('-', ''), external_id: handbook.hash_id, name: 'Handbook', project_id: alpha.id })
  const now = new Date()
  await app.knex('authentication_translation').insert({
    id: randomUUID().replaceAll('-', ''), created_at: now, updated_at: null, source_text: 'Projects', target_lang: 'pt', translated_text: 'Projetos', namespace: 'default',
  })
  const sessionKey = randomUUID() // the chat widget's customSessionId
  const layout = [{ i: 'a', x: 0, y: 0, w: 6, h: 4, title: 'Sales', subtitle: 'Q3', dashId: '12', n8n: '', html: '' }]
  let kbHash = ''

  await t.test('login (AuthService.login), then me/', async t => {
    const login = await client.request('POST', 'login/', { json: { email: 'maria@acme.example', password: SEED_PASSWORD } })
    t.equal(login.status, 200)
    reads(t, login.json, { access: 'string', refresh: 'string' }, 'login')
    client.storage.set(ACCESS, login.json.access)
    client.storage.set(REFRESH, login.json.refresh)

    const me = await client.request('GET', 'me/')
    t.equal(me.status, 200)
    reads(t, me.json, { id: 'uuid', email: 'string', username: 'string', first_name: 'string', last_name: 'string', avatar: 'string|null', role: 'string', is_active: 'boolean' }, 'me')
    t.same([me.json.id, me.json.email, me.json.role, me.json.is_active], [toUuid(user.id), 'maria@acme.example', 'USER', true])
  })

  await t.test('the access token expires: 401, POST refresh/ with the stored refresh token, retry (projects)', async t => {
    // What hours of use do: the stored access token is past its exp (same claims, signed with the server's key).
    const claims = decodeJwt(client.storage.get(ACCESS)!)
    const past = Math.floor(Date.now() / 1000) - 3 * 3600
    const expired = await new SignJWT({ ...claims, iat: past, exp: past + 7200 }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(TEST_SECRET))
    client.storage.set(ACCESS, expired)
    const refreshBefore = client.storage.get(REFRESH)
    const calls = client.calls.length

    const projects = await client.request('GET', 'projects/?page=1&page_size=1000') // ProjectService.listProjects(1, 1000)
    t.same(client.calls.slice(calls).map(c => `${c.method} ${c.path} ${c.status}`), [
      'GET projects/?page=1&page_size=1000 401', 'POST refresh/ 200', 'GET projects/?page=1&page_size=1000 200',
    ], 'one 401, one refresh, one retry')
    t.not(client.storage.get(ACCESS), expired, 'a new access token is stored')
    t.equal(client.storage.get(REFRESH), refreshBefore, 'the client keeps its old refresh token (auth §8)')
    t.equal(projects.status, 200)
    reads(t, projects.json, { count: 'number', results: 'array' }, 'projects')
    t.same(projects.json.results.map((p: any) => p.name), ['Alpha', 'Beta'], 'member projects only, by name; page_size 1000 clamped, one page')
    for (const p of projects.json.results) reads(t, p, { id: 'uuid', name: 'string', client: 'string', client_id: 'uuid' }, 'project')
    t.equal(projects.json.results[0].client, 'Acme', '`client` is the client name (EditProjectModal)')
  })

  await t.test('bots (BotService.list)', async t => {
    const bots = await client.request('GET', 'bots/?page=1&page_size=10&search=')
    t.equal(bots.status, 200)
    reads(t, bots.json, { count: 'number', results: 'array' }, 'bots')
    t.same(bots.json.results.map((b: any) => b.name), ['Analyst', 'Writer'], 'the bots of the member projects, each once')
    for (const b of bots.json.results) {
      reads(t, b, { id: 'uuid', name: 'string', description: 'string|null', url_n8n: 'string', expertise_area: 'object|null', projects: 'array', chat_sessions: 'array' }, 'bot')
    }
    t.same(bots.json.results[1].projects.map((p: any) => p.name), ['Alpha', 'Beta'])
  })

  await t.test('chat sessions: POST after the first message, then the list (ChatSessionService)', async t => {
    const created = await client.request('POST', 'chat-session/', { json: { session_key: sessionKey, agent_id: toUuid(analyst.id), first_message: 'What were Q3 sales?' } })
    t.ok(created.status >= 200 && created.status < 300, `2xx (${created.status})`)
    reads(t, created.json, { session_key: 'string', agent: 'uuid', user: 'uuid', data: 'string|null' }, 'session')
    t.same([created.json.session_key, created.json.agent], [sessionKey, toUuid(analyst.id)])

    const list = await client.request('GET', 'chat-session/')
    t.ok(list.status >= 200 && list.status < 300, `2xx (${list.status})`)
    t.ok(Array.isArray(list.json), 'a bare array')
    t.same(list.json.map((s: any) => [s.agent, s.session_key]), [[toUuid(analyst.id), sessionKey]], 'the screens read agent and session_key')
  })

  await t.test('favorites: add, list, delete WITHOUT the trailing slash (FavoritesService)', async t => {
    const fav = { session_key: sessionKey, agent_id: toUuid(analyst.id), message_id: 'msg-ai-1', text: 'Q3 sales were 42.' }
    const created = await client.request('POST', 'chat-favorites/', { json: fav })
    t.equal(created.status, 201)
    reads(t, created.json, { session: 'string', agent: 'string', message_id: 'string', text: 'string', agent_name: 'string' }, 'favorite')
    t.equal(created.json.agent_name, 'Analyst')

    const list = await client.request('GET', `chat-favorites/?agent_id=${toUuid(analyst.id)}&session_key=${sessionKey}`)
    t.equal(list.status, 200)
    t.same(list.json.map((f: any) => [f.agent, f.session, f.message_id, f.text]), [[toUuid(analyst.id), sessionKey, 'msg-ai-1', 'Q3 sales were 42.']])
    for (const f of list.json) reads(t, f, { agent: 'uuid', session: 'string', text: 'string', message_id: 'string', agent_name: 'string' }, 'favorite item')

    const removed = await client.request('DELETE', 'chat-favorites/msg-ai-1') // sic: no trailing slash (resources §10.3)
    t.equal(removed.status, 200)
    t.notOk(removed.redirected, 'served on the slash-less path itself (no redirect that could drop the DELETE)')
    t.equal(removed.json.status, 'success')
    t.same((await client.request('GET', 'chat-favorites/')).json, [], 'gone')
  })

  await t.test('knowledge bases (KB page): projects, list-all, create, files, upload, delete file, delete KB', async t => {
    const projects = await client.request('GET', 'projects/?page=1&page_size=200')
    const projectId = projects.json.results[0].id
    t.equal(projectId, toUuid(alpha.id), 'the first project')

    const listAll = await client.request('GET', `kb/list-all/?project_id=${projectId}`)
    t.equal(listAll.status, 200)
    t.ok(Array.isArray(listAll.json.kbs), 'data.kbs[]')
    t.same(listAll.json.kbs.map((k: any) => k.hash_id), [handbook.hash_id])
    for (const kb of listAll.json.kbs) reads(t, kb, { hash_id: 'string', name: 'string', description: 'string|null', created_at: 'string', external_id: 'string' }, 'kb')

    const created = await client.request('POST', 'kb/create/', { json: { name: 'Contracts', description: 'Signed contracts', project_id: projectId } })
    t.ok(created.status >= 200 && created.status < 300, `2xx (${created.status})`)
    reads(t, created.json, { hash_id: 'string' }, 'created kb')
    kbHash = created.json.hash_id

    const edited = await client.request('PATCH', 'kb/edit/', { json: { hash_id: kbHash, name: 'Contracts 2026', description: 'Signed contracts' } })
    t.ok(edited.status >= 200 && edited.status < 300, `edit: 2xx (${edited.status})`)

    const empty = await client.request('GET', `kb/files/list/?hash_id=${kbHash}`) // the raw hash, not URL-encoded
    t.equal(empty.status, 200)
    t.same(empty.json.files, [], 'an empty KB lists no files (not a 504)')

    const form = new FormData()
    form.append('hash_id', kbHash)
    form.append('project_id', projectId)
    form.append('file', new Blob(['clause 1: pay on time\n'], { type: 'text/plain' }), 'contract.txt')
    const upload = await client.request('POST', 'kb/file/add/', { form })
    t.ok(upload.status >= 200 && upload.status < 300, `upload: 2xx (${upload.status})`)
    const sent = n8n.requests.filter(r => r.path.includes('kb/file/add')).at(-1)
    t.same(sent?.parts?.map(p => [p.name, p.filename]), [['hash_id', null], ['file', 'contract.txt']], 'n8n got hash_id and the file part')

    const files = await client.request('GET', `kb/files/list/?hash_id=${kbHash}`)
    t.same(files.json.files, ['contract.txt'], '`files` lists the upload')

    const deletedFile = await client.request('DELETE', 'kb/file/delete/', { json: { hash_id: kbHash, file: 'contract.txt' } })
    t.ok(deletedFile.status >= 200 && deletedFile.status < 300, `delete file: 2xx (${deletedFile.status})`)
    t.same((await client.request('GET', `kb/files/list/?hash_id=${kbHash}`)).json.files, [], 'list refreshed: empty')

    const listed = await client.request('GET', `kb/list-all/?project_id=${projectId}`)
    t.same(listed.json.kbs.map((k: any) => k.hash_id).sort(), [handbook.hash_id, kbHash].sort(), 'the new KB is listed')
    t.equal(listed.json.kbs.find((k: any) => k.hash_id === kbHash).name, 'Contracts 2026', 'renamed in n8n')

    const deleted = await client.request('DELETE', 'kb/delete/', { json: { hash_id: kbHash } })
    t.ok(deleted.status >= 200 && deleted.status < 300, `delete KB: 2xx (${deleted.status})`)
    t.same((await client.request('GET', `kb/list-all/?project_id=${projectId}`)).json.kbs.map((k: any) => k.hash_id), [handbook.hash_id], 'row removed')
  })

  await t.test('search (SearchService.post)', async t => {
    n8n.messages.push({ session_id: sessionKey, message: { content: 'Q3 sales were 42 million.', type: 'ai' } })
    const found = await client.request('POST', 'search/', { json: { query: 'sales' } })
    t.ok(found.status >= 200 && found.status < 300, `2xx (${found.status})`)
    t.ok(Array.isArray(found.json.results), 'results[]')
    t.same(found.json.results, [{ session_id: sessionKey, message: 'Q3 sales were 42 million.', author: 'ai', agent_id: toUuid(analyst.id) }])
  })

  await t.test('translation (TranslationService, useBatchTranslation)', async t => {
    const one = await client.request('GET', `i18n/translate/?text=${encodeURIComponent('Good morning')}&lang=pt-BR`)
    t.equal(one.status, 200)
    reads(t, one.json, { text: 'string', found: 'boolean', auto: 'boolean' }, 'translate')
    t.same(one.json, { text: '[pt] Good morning', found: true, auto: true }, 'a miss is translated by the provider (signed in)')

    const items = await client.request('POST', 'i18n/translate/batch/', { json: { namespace: 'default', items: [{ text: 'Projects', lang: 'pt-BR' }, { text: 'Assistants', lang: 'pt-BR' }] } })
    t.equal(items.status, 200)
    t.same(items.json.results.map((r: any) => [r.text, r.found]), [['Projetos', true], ['[pt] Assistants', true]], 'results by index: cache hit, then provider')

    const texts = await client.request('POST', 'i18n/translate/', { json: { texts: ['Projects', 'Logout'], lang: 'pt-BR' } })
    t.equal(texts.status, 200, 'the batchTranslate call is served (DECISIONS 19), no 405')
    t.same(texts.json.results.map((r: any) => r.found), [true, true])
    t.equal(texts.json.results.length, 2)
  })

  await t.test('boards: PUT boards/ {data}, then GET boards/ reads [0].data (BoardsService)', async t => {
    const saved = await client.request('PUT', 'boards/', { json: { data: JSON.stringify(layout) } })
    t.ok(saved.status === 200 || saved.status === 201, `saved (${saved.status})`)
    const boards = await client.request('GET', 'boards/')
    t.equal(boards.status, 200)
    t.ok(Array.isArray(boards.json) && boards.json.length === 1, 'one board')
    t.same(JSON.parse(boards.json[0].data), layout, '[0].data parses back to the saved layout')
    t.equal(boards.json[0].project_id, toUuid(alpha.id), 'saved on the first project')
  })

  await t.test('logout (AuthService.logout), then the client is signed out', async t => {
    const refresh = client.storage.get(REFRESH)
    const out = await client.request('POST', 'logout/', { json: { refresh } })
    client.storage.clear() // the client clears its tokens whatever the answer
    // DECISIONS 1 (accepted): the client kept the refresh token it had before the refresh, which rotation
    // blacklisted, so the server refuses it; the rotated one it threw away is still valid until it expires.
    t.equal(out.status, 400)
    t.same(out.json, { error: 'Token inválido ou já invalidado.' })
    const calls = client.calls.length
    const me = await client.request('GET', 'me/')
    t.equal(me.status, 401, 'no token: 401')
    t.same(client.calls.slice(calls).map(c => `${c.method} ${c.path} ${c.status}`), ['GET me/ 401', 'POST refresh/ 400'], 'the interceptor tries once, then gives up')
  })

  // The whole replay, in order, as the server saw it (one line per HTTP request).
  t.same(client.calls.map(c => `${c.method} ${c.path.split('?')[0]} ${c.status}`), [
    'POST login/ 200', 'GET me/ 200',
    'GET projects/ 401', 'POST refresh/ 200', 'GET projects/ 200',
    'GET bots/ 200',
    'POST chat-session/ 201', 'GET chat-session/ 201',
    'POST chat-favorites/ 201', 'GET chat-favorites/ 200', 'DELETE chat-favorites/msg-ai-1 200', 'GET chat-favorites/ 200',
    'GET projects/ 200', 'GET kb/list-all/ 200', 'POST kb/create/ 200', 'PATCH kb/edit/ 200', 'GET kb/files/list/ 200',
    'POST kb/file/add/ 200', 'GET kb/files/list/ 200', 'DELETE kb/file/delete/ 200', 'GET kb/files/list/ 200',
    'GET kb/list-all/ 200', 'DELETE kb/delete/ 200', 'GET kb/list-all/ 200',
    'POST search/ 201',
    'GET i18n/translate/ 200', 'POST i18n/translate/batch/ 200', 'POST i18n/translate/ 200',
    'PUT boards/ 201', 'GET boards/ 200',
    'POST logout/ 400', 'GET me/ 401', 'POST refresh/ 400',
  ], 'the replay, request by request')
})
