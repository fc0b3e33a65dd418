// Every write operation × bad input (malformed JSON, non-object JSON, missing fields, wrong types, over-long and
// exotic unicode strings, NUL, unpaired surrogates, malformed ids): never a 5xx, always a JSON body, a refused
// request changes nothing, and every exotic value the API accepts reads back exactly as sent.
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { toUuid } from '../../src/db/ids.js'
import { buildTestApp } from '../helpers/app.js'
import { F, SEED_USERS, reseed, snapshot, type Persona } from './fixture.js'

const A = (hex: string) => toUuid(hex)

interface WriteOp {
  name: string
  as: Exclude<Persona, 'anon'>
  method: 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  url: string
  valid: Record<string, unknown>
  /** Free-text body fields: exotic values must be refused (4xx) or read back unchanged. */
  text: string[]
  /** How to read a text field back after a 2xx: GET this URL (or search a list) and pick the field. */
  readBack?: (res: LightMyRequestResponse, field: string, value: string) => { url: string, pick: (body: any) => unknown }
  /** Text fields the engine trims (leading/trailing whitespace is not "exotic" for them). */
  idPathTemplate?: string
}

const byId = (base: string) => (res: LightMyRequestResponse, field: string) => ({ url: `${base}${res.json().id}/`, pick: (b: any) => b[field] })
const same = (url: string, key?: string) => (_res: LightMyRequestResponse, field: string) => ({ url, pick: (b: any) => b[key ?? field] })

const OPS: WriteOp[] = [
  { name: 'createProject', as: 'admin', method: 'POST', url: '/api/projects/', valid: { name: 'P', client_id: A(F.clientA) }, text: ['name'], readBack: byId('/api/projects/') },
  { name: 'updateProject', as: 'admin', method: 'PATCH', url: `/api/projects/${A(F.projectA)}/`, valid: { name: 'P2', client_id: A(F.clientA) }, text: ['name'], readBack: same(`/api/projects/${A(F.projectA)}/`), idPathTemplate: '/api/projects/{id}/' },
  { name: 'attachProjectBots', as: 'admin', method: 'POST', url: `/api/projects/${A(F.projectA)}/bots/attach/`, valid: { bot_id: A(F.botB), bot_ids: [A(F.botShared)] }, text: [], idPathTemplate: '/api/projects/{id}/bots/attach/' },
  { name: 'detachProjectBots', as: 'admin', method: 'POST', url: `/api/projects/${A(F.projectA)}/bots/detach/`, valid: { bot_ids: [A(F.botA)] }, text: [], idPathTemplate: '/api/projects/{id}/bots/detach/' },
  { name: 'attachProjectUsers', as: 'admin', method: 'POST', url: `/api/projects/${A(F.projectA)}/users/attach/`, valid: { user_id: A(F.admin), user_ids: [A(F.ub)] }, text: [], idPathTemplate: '/api/projects/{id}/users/attach/' },
  { name: 'detachProjectUsers', as: 'admin', method: 'POST', url: `/api/projects/${A(F.projectA)}/users/detach/`, valid: { user_ids: [A(F.ua)] }, text: [], idPathTemplate: '/api/projects/{id}/users/detach/' },
  { name: 'createBot', as: 'admin', method: 'POST', url: '/api/bots/', valid: { name: 'Gamma', url_n8n: 'https://n8n.example.com/webhook/g/chat', description: 'd' }, text: ['name', 'description'], readBack: byId('/api/bots/') },
  { name: 'updateBot', as: 'admin', method: 'PATCH', url: `/api/bots/${A(F.botA)}/`, valid: { name: 'Alpha 2', description: 'd', url_n8n: 'https://n8n.example.com/x', projects: [A(F.projectB)], expertise_area: A(F.areaA) }, text: ['name', 'description'], readBack: same(`/api/bots/${A(F.botA)}/`), idPathTemplate: '/api/bots/{id}/' },
  { name: 'setBotExpertise', as: 'admin', method: 'POST', url: `/api/bots/${A(F.botA)}/expertise/`, valid: { expertise_area: A(F.areaA) }, text: [], idPathTemplate: '/api/bots/{id}/expertise/' },
  { name: 'createClient', as: 'admin', method: 'POST', url: '/api/clients/', valid: { name: 'Gamma Corp' }, text: ['name'], readBack: byId('/api/clients/') },
  { name: 'updateClient', as: 'admin', method: 'PATCH', url: `/api/clients/${A(F.clientA)}/`, valid: { name: 'Alpha 2' }, text: ['name'], readBack: same(`/api/clients/${A(F.clientA)}/`), idPathTemplate: '/api/clients/{id}/' },
  { name: 'updateBoard', as: 'ua', method: 'PUT', url: `/api/boards/${A(F.boardA)}/`, valid: { data: '[]' }, text: ['data'], readBack: same(`/api/boards/${A(F.boardA)}/`), idPathTemplate: '/api/boards/{id}/' },
  { name: 'saveBoard', as: 'ua', method: 'PUT', url: '/api/boards/', valid: { data: '[]', project_id: A(F.projectA) }, text: ['data'], readBack: same(`/api/boards/${A(F.boardA)}/`) },
  { name: 'createExpertiseArea', as: 'admin', method: 'POST', url: '/api/expertise-areas/', valid: { name: 'Law', description: 'd' }, text: ['name', 'description'], readBack: byId('/api/expertise-areas/') },
  { name: 'updateExpertiseArea', as: 'admin', method: 'PATCH', url: `/api/expertise-areas/${A(F.areaA)}/`, valid: { name: 'Fin', description: 'd' }, text: ['name', 'description'], readBack: same(`/api/expertise-areas/${A(F.areaA)}/`), idPathTemplate: '/api/expertise-areas/{id}/' },
  {
    name: 'createChatSession', as: 'ua', method: 'POST', url: '/api/chat-session/', valid: { session_key: 'k-new', agent_id: A(F.botA), first_message: 'hi' }, text: ['session_key', 'first_message'],
    readBack: (res, field) => ({ url: '/api/chat-session/', pick: (list: any[]) => list.find(s => s.session_key === res.json().session_key)?.[field === 'first_message' ? 'data' : field] }),
  },
  { name: 'deleteChatSessionByKey', as: 'ua', method: 'DELETE', url: '/api/chat-session/', valid: { session_key: F.keyA, agent_id: A(F.botA) }, text: ['session_key'] },
  { name: 'deleteChatSessionByKeyAlias', as: 'ua', method: 'DELETE', url: '/api/chat-session/delete/', valid: { session_key: F.keyA, agent_id: A(F.botA) }, text: ['session_key'] },
  {
    name: 'createChatFavorite', as: 'ua', method: 'POST', url: '/api/chat-favorites/', valid: { session_key: F.keyA, agent_id: A(F.botA), message_id: 'm-1', text: 't' }, text: ['message_id', 'text'],
    readBack: (_res, field, value) => ({ url: '/api/chat-favorites/', pick: (list: any[]) => list.find(f => f[field] === value)?.[field] }),
  },
  { name: 'deleteProject', as: 'admin', method: 'DELETE', url: `/api/projects/${A(F.projectB)}/`, valid: {}, text: [], idPathTemplate: '/api/projects/{id}/' },
  { name: 'deleteBot', as: 'admin', method: 'DELETE', url: `/api/bots/${A(F.botB)}/`, valid: {}, text: [], idPathTemplate: '/api/bots/{id}/' },
  { name: 'deleteClient', as: 'admin', method: 'DELETE', url: `/api/clients/${A(F.clientEmpty)}/`, valid: {}, text: [], idPathTemplate: '/api/clients/{id}/' },
  { name: 'deleteExpertiseArea', as: 'admin', method: 'DELETE', url: `/api/expertise-areas/${A(F.areaA)}/`, valid: {}, text: [], idPathTemplate: '/api/expertise-areas/{id}/' },
  { name: 'deleteChatSession', as: 'ua', method: 'DELETE', url: `/api/chat-session/${A(F.sessionA)}/`, valid: {}, text: [], idPathTemplate: '/api/chat-session/{id}/' },
  { name: 'deleteChatFavorite', as: 'ua', method: 'DELETE', url: `/api/chat-favorites/${F.msgA}/`, valid: {}, text: [], idPathTemplate: '/api/chat-favorites/{id}/' },
]

export const EXOTIC = [
  '😀 emoji 🎉 family 👩‍👩‍👧‍👦 flag 🇧🇷',
  'مرحبا بالعالم',
  'שלום עולם mixed LTR',
  '\u202Eright-to-left override\u202C',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚o combining',
  '中文 日本語 한국어',
  'zero\u200Bwidth\u200Djoiner',
  "'; DROP TABLE agents; -- \"quoted\" \\backslash",
  '𝕳𝖊𝖑𝖑𝖔 astral math',
  'tab\tand\nnewline inside',
  '%s %n {{template}} ${user.id}',
]
const WRONG_TYPES: unknown[] = [123, 12.5, true, false, [], ['a'], {}, { a: 1 }, null]
const MALFORMED_IDS = ['nope', '123', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', '%00', '%F0%9F%98%80', 'a'.repeat(300), "1'%20OR%20'1'%3D'1", '..%2F..%2Fetc', '%7B%7D', '-1', '1e5']

t.test('bad input never gives a 5xx, refusals change nothing, accepted exotic text reads back unchanged', async t => {
  const { app, knex, auth } = await buildTestApp(t)
  await reseed(knex)
  const headers: Record<string, Record<string, string>> = {}
  for (const p of ['admin', 'ua'] as const) headers[p] = await auth(SEED_USERS[p])
  let total = 0
  const serverErrors: string[] = []
  const readBackFailures: string[] = []
  let dirty = false
  let before = await snapshot(knex)

  async function send(op: WriteOp, label: string, opts: { url?: string, payload?: unknown, raw?: string, contentType?: string }) {
    if (dirty) { await reseed(knex); before = await snapshot(knex); dirty = false }
    const res = await app.inject({
      method: op.method,
      url: opts.url ?? op.url,
      headers: { ...headers[op.as], ...(opts.raw !== undefined || opts.payload !== undefined ? { 'content-type': opts.contentType ?? 'application/json' } : {}) },
      payload: opts.raw !== undefined ? opts.raw : opts.payload !== undefined ? JSON.stringify(opts.payload) : undefined,
    })
    total++
    if (res.statusCode >= 500) serverErrors.push(`${op.name} ${label}: ${res.statusCode} ${res.body.slice(0, 200)}`)
    if (res.statusCode !== 204 && !/application\/json/.test(String(res.headers['content-type']))) {
      serverErrors.push(`${op.name} ${label}: not JSON (${res.headers['content-type']})`)
    }
    const after = await snapshot(knex)
    if (res.statusCode >= 400) t.equal(after, before, `${op.name} ${label}: refused (${res.statusCode}) and nothing changed`)
    else dirty = after !== before
    return res
  }

  for (const op of OPS) {
    const withBody = op.method !== 'DELETE' || Object.keys(op.valid).length > 0
    if (withBody) {
      await send(op, 'malformed JSON', { raw: '{"name": "x",' })
      await send(op, 'empty JSON body', { raw: '' })
      for (const v of [[], ['x'], 'text', 42, true, null]) await send(op, `non-object JSON ${JSON.stringify(v)}`, { payload: v })
      await send(op, 'missing fields {}', { payload: {} })
      await send(op, 'form-encoded garbage', { raw: 'a=%ZZ&&=&b', contentType: 'application/x-www-form-urlencoded' })
      await send(op, 'text/plain', { raw: 'hello', contentType: 'text/plain' })
      await send(op, 'over 1 MB', { payload: { ...op.valid, [op.text[0] ?? 'x']: 'x'.repeat(1_100_000) } })
      for (const field of Object.keys(op.valid)) {
        for (const wrong of WRONG_TYPES) await send(op, `${field}=${JSON.stringify(wrong)}`, { payload: { ...op.valid, [field]: wrong } })
        const { [field]: _omitted, ...rest } = op.valid
        await send(op, `without ${field}`, { payload: rest })
        for (const badId of ['nope', '', ' ', '{}', 'a'.repeat(65), '00000000-0000-0000-0000-000000000000']) {
          if (field.endsWith('_id') || field.endsWith('_ids') || field === 'projects' || field === 'expertise_area') {
            const value = Array.isArray(op.valid[field]) ? [badId] : badId
            await send(op, `${field}=${JSON.stringify(value)}`, { payload: { ...op.valid, [field]: value } })
          }
        }
      }
      for (const field of op.text) {
        for (const s of ['a\u0000b', '\u0000', 'x'.repeat(256), 'é'.repeat(5000), '   ', '\ud800 lone surrogate']) {
          await send(op, `${field}=${JSON.stringify(s.slice(0, 20))}…(${s.length})`, { raw: JSON.stringify({ ...op.valid, [field]: s }) })
        }
        for (const s of EXOTIC) {
          const res = await send(op, `${field} exotic ${JSON.stringify(s.slice(0, 12))}`, { payload: { ...op.valid, [field]: s } })
          if (res.statusCode < 300 && op.readBack) {
            const rb = op.readBack(res, field, s)
            const got = await app.inject({ method: 'GET', url: rb.url, headers: headers[op.as] })
            const value = rb.pick(got.json())
            if (value !== s) readBackFailures.push(`${op.name}.${field}: sent ${JSON.stringify(s)}, read ${JSON.stringify(value)}`)
            total++
          }
        }
      }
    }
    if (op.idPathTemplate) {
      for (const badId of MALFORMED_IDS) {
        const res = await send(op, `path id ${badId.slice(0, 20)}`, { url: op.idPathTemplate.replace('{id}', badId), payload: withBody ? op.valid : undefined })
        if (op.name !== 'deleteChatFavorite') t.ok([400, 404, 414].includes(res.statusCode), `${op.name} path id ${badId.slice(0, 20)}: ${res.statusCode}`)
      }
    }
    // the valid request works (so the refusals above were about the bad input, not the route)
    const ok = await send(op, 'valid', { payload: withBody ? op.valid : undefined })
    t.ok(ok.statusCode < 300, `${op.name} valid: ${ok.statusCode} ${ok.body.slice(0, 200)}`)
  }
  t.same(serverErrors, [], `0 responses >= 500 or non-JSON out of ${total}`)
  t.same(readBackFailures, [], 'accepted exotic values read back unchanged')
  t.comment(`bad-input requests sent: ${total}`)
})
