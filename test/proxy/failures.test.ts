// Every upstream-calling operation × every n8n failure mode: never a 200 for an upstream error, never internals
// or the key in an answer (knowledge-bases §4.2 as DECISIONS 23, 24, 28, 29 amend it). Plus the config guard (503).
import t from 'tap'
import type { Failure } from '../fakes/n8n.js'
import { form, linkedKb, people, proxyWorld, uuid, type ProxyWorld } from './setup.js'

type Call = (w: ProxyWorld) => Promise<{ statusCode: number, body: string, json(): any }>

async function operations(w: ProxyWorld) {
  const p = await people(w)
  const member = await w.auth(p.member)
  const kb = await linkedKb(w, 'Target', [p.project])
  const multipart = (method: 'POST' | 'PATCH', url: string, entries: Parameters<typeof form>[0]) => {
    const f = form(entries)
    return w.app.inject({ method, url, headers: { ...member, ...f.headers }, payload: f.payload })
  }
  await w.knex('authentication_chatsession').insert({
    id: crypto.randomUUID().replaceAll('-', ''), session_key: 's1', data: null, agent_id: (await w.seed.bot()).id, user_id: p.member.id,
    created_at: new Date(), updated_at: null,
  })
  let n = 0
  const ops: Record<string, Call> = {
    listKnowledgeBases: () => w.app.inject({ method: 'GET', url: `/api/kb/list-all/?project_id=${p.project.id}`, headers: member }),
    getKnowledgeBase: () => w.app.inject({ method: 'GET', url: `/api/kb/get/?hash_id=${kb.hash_id}`, headers: member }),
    createKnowledgeBase: () => w.app.inject({ method: 'POST', url: '/api/kb/create/', headers: member, payload: { name: `New ${n++}`, project_id: p.project.id } }),
    updateKnowledgeBase: () => w.app.inject({ method: 'PATCH', url: '/api/kb/edit/', headers: member, payload: { hash_id: kb.hash_id, name: 'N', description: 'D' } }),
    deleteKnowledgeBase: () => w.app.inject({ method: 'DELETE', url: '/api/kb/delete/', headers: member, payload: { hash_id: kb.hash_id } }),
    listKnowledgeBaseFiles: () => w.app.inject({ method: 'GET', url: `/api/kb/files/list/?hash_id=${kb.hash_id}`, headers: member }),
    addKnowledgeBaseFile: () => multipart('POST', '/api/kb/file/add/', [['hash_id', kb.hash_id], ['file', { filename: 'a.pdf', content: 'data' }]]),
    deleteKnowledgeBaseFile: () => w.app.inject({ method: 'DELETE', url: '/api/kb/file/delete/', headers: member, payload: { hash_id: kb.hash_id, file: 'a.pdf' } }),
    updateKnowledgeBaseFile: () => multipart('PATCH', '/api/kb/file/update/', [
      ['hash_id', kb.hash_id], ['project_id', uuid(p.project.id)], ['file', { filename: 'b.pdf', content: 'data' }], ['old_file', 'a.pdf'],
    ]),
    attachKnowledgeBase: () => w.app.inject({ method: 'POST', url: `/api/kb/attach/?project_id=${p.project.id}`, headers: member, payload: { hash_id: `h${n++}` } }),
    searchMessages: () => w.app.inject({ method: 'POST', url: '/api/search/', headers: member, payload: { query: 'x' } }),
  }
  return { p, kb, ops, member }
}

const GENERIC = { detail: 'Error calling external service.' }
const TIMEOUT = { detail: 'Timeout calling external service.' }
const soft = (reason: string) => ({ status: 'error', reason, detail: reason })
const KB_FORBIDDEN = { detail: 'You do not have access to this knowledge base.' }

interface Mode { name: string, failure: Failure, status: number, body: unknown, except?: Record<string, [number, unknown]> }

const MODES: Mode[] = [
  {
    name: 'soft error "does not exist" (HTTP 200)', failure: { kind: 'status', status: 200, body: { status: 'error', reason: 'knowledge base does not exist' } },
    status: 404, body: soft('knowledge base does not exist'), except: { attachKnowledgeBase: [403, KB_FORBIDDEN] },
  },
  { name: 'soft error "already exists" (HTTP 200)', failure: { kind: 'status', status: 200, body: { status: 'error', reason: 'knowledge base already exists' } }, status: 409, body: soft('knowledge base already exists') },
  { name: 'HTTP 400 "file already indexed"', failure: { kind: 'status', status: 400, body: { status: 'error', reason: 'file already indexed' } }, status: 409, body: soft('file already indexed') },
  { name: 'soft error "invalid input"', failure: { kind: 'status', status: 200, body: { status: 'error', reason: 'invalid input' } }, status: 400, body: soft('invalid input') },
  { name: 'HTTP 400 "invalid file input"', failure: { kind: 'status', status: 400, body: { status: 'error', reason: 'invalid file input' } }, status: 400, body: soft('invalid file input') },
  { name: 'other soft error', failure: { kind: 'status', status: 200, body: { status: 'error', reason: 'Error while editing knowledge base' } }, status: 502, body: soft('Error while editing knowledge base') },
  { name: 'HTTP 500 "Error in workflow"', failure: { kind: 'status', status: 500, body: { message: 'Error in workflow' } }, status: 502, body: GENERIC },
  { name: 'HTTP 500 with a "does not exist" reason (5xx is never the caller\'s fault)', failure: { kind: 'status', status: 500, body: { status: 'error', reason: 'knowledge base does not exist' } }, status: 502, body: soft('knowledge base does not exist') },
  { name: 'HTTP 403 wrong key (plain text)', failure: { kind: 'status', status: 403, body: 'Authorization data is wrong!' }, status: 502, body: GENERIC },
  { name: 'HTTP 401', failure: { kind: 'status', status: 401, body: { message: 'Unauthorized' } }, status: 502, body: GENERIC },
  { name: 'HTTP 404 webhook not registered', failure: { kind: 'status', status: 404, body: { code: 404, message: 'The requested webhook "GET kb/get" is not registered.' } }, status: 502, body: GENERIC },
  { name: 'HTTP 502 HTML', failure: { kind: 'non-json', status: 502 }, status: 502, body: GENERIC },
  { name: 'HTTP 200 non-JSON', failure: { kind: 'non-json', status: 200 }, status: 502, body: GENERIC },
  {
    name: 'HTTP 200 empty body', failure: { kind: 'empty', status: 200 }, status: 502, body: GENERIC,
    except: { listKnowledgeBaseFiles: [200, { status: 'success', files: [] }] },
  },
  { name: 'connection dropped', failure: { kind: 'drop' }, status: 502, body: GENERIC },
  { name: 'no answer within the deadline', failure: { kind: 'hang' }, status: 504, body: TIMEOUT },
]

t.test('failure modes × operations', async t => {
  const w = await proxyWorld(t, {}, { maxTimeoutMs: 300 })
  const { ops } = await operations(w)
  for (const mode of MODES) {
    t.test(mode.name, async t => {
      for (const [operationId, call] of Object.entries(ops)) {
        w.n8n.requests.length = 0
        w.n8n.fail(mode.failure)
        const res = await call(w)
        w.n8n.clearFailures()
        const [status, body] = mode.except?.[operationId] ?? [mode.status, mode.body]
        t.equal(res.statusCode, status, `${operationId} → ${status}`)
        t.same(res.json(), body, `${operationId} body`)
        t.ok(w.n8n.requests.length >= 1 || mode.failure.kind === 'drop', `${operationId} reached n8n`)
        t.notMatch(res.body, w.n8n.key, 'no key in the answer')
        t.notMatch(res.body, new URL(w.n8n.url).port, 'no upstream address in the answer')
        t.notMatch(res.body, /Error in workflow|Authorization data|<html>/, 'no upstream body text')
      }
    })
  }
})

t.test('N8N_BASE_URL unset → 503 with a clear detail after input and access checks; no crash', async t => {
  const w = await proxyWorld(t, { N8N_BASE_URL: '' })
  const { ops, kb } = await operations(w)
  for (const [operationId, call] of Object.entries(ops)) {
    const res = await call(w)
    t.equal(res.statusCode, 503, operationId)
    t.same(res.json(), { detail: 'n8n configuration missing (N8N_BASE_URL/N8N_KB_KEY).' })
  }
  const outsider = await w.seed.user({ name: 'nobody' })
  const refused = await w.app.inject({ method: 'GET', url: `/api/kb/get/?hash_id=${kb.hash_id}`, headers: await w.auth(outsider) })
  t.equal(refused.statusCode, 403, 'access is decided before the configuration')
  t.equal(w.n8n.requests.length, 0)
})

t.test('N8N_KB_KEY unset → 503 too', async t => {
  const w = await proxyWorld(t, { N8N_KB_KEY: '' })
  const { ops } = await operations(w)
  const res = await ops.getKnowledgeBase(w)
  t.equal(res.statusCode, 503)
  t.equal(w.n8n.requests.length, 0)
})

t.test('n8n unreachable (connection refused) → 502 without internals', async t => {
  const w = await proxyWorld(t, { N8N_BASE_URL: 'http://127.0.0.1:9' })
  const { ops } = await operations(w)
  const res = await ops.getKnowledgeBase(w)
  t.equal(res.statusCode, 502)
  t.same(res.json(), GENERIC)
})
