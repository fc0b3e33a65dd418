// POST /api/search/ through the proxy: only the caller's sessions go to n8n, and only theirs come back (DECISIONS 33).
import t from 'tap'
import { people, proxyWorld, uuid } from './setup.js'

t.test('search', async t => {
  const w = await proxyWorld(t)
  const p = await people(w)
  const bot = await w.seed.bot({ name: 'Analyst' })
  const session = async (user: { id: string }, key: string) => {
    await w.knex('authentication_chatsession').insert({
      id: crypto.randomUUID().replaceAll('-', ''), session_key: key, data: 'first', agent_id: bot.id, user_id: user.id,
      created_at: new Date(), updated_at: null,
    })
  }
  await session(p.member, 'sess-member-1')
  await session(p.member, 'sess-member-2')
  await session(p.outsider, 'sess-outsider')
  w.n8n.messages = [
    { session_id: 'sess-member-1', message: { content: 'hello world, how are you?', type: 'human' } },
    { session_id: 'sess-member-2', message: { content: 'Hello again', type: 'ai' } },
    { session_id: 'sess-outsider', message: { content: 'hello from someone else', type: 'human' } },
  ]
  t.beforeEach(() => { w.n8n.requests.length = 0 })

  t.test('the caller\'s session keys and the original search_query reach n8n; 201 with reshaped results', async t => {
    const res = await w.app.inject({ method: 'POST', url: '/api/search/', headers: await w.auth(p.member), payload: { query: 'hello, world' } })
    t.equal(res.statusCode, 201)
    t.same(res.json(), {
      status: 'success',
      results: [{ session_id: 'sess-member-1', message: 'hello world, how are you?', author: 'human', agent_id: uuid(bot.id) }],
    })
    const [call] = w.n8n.requests
    t.match(call, { method: 'POST', path: '/webhook/get-message/' })
    t.equal(call.headers.key, w.n8n.key)
    // The contract sets no order for the keys: compared as a set.
    const sent = call.json as { session_ids: string[], search_query: string[] }
    t.same({ ...sent, session_ids: [...sent.session_ids].sort() }, { session_ids: ['sess-member-1', 'sess-member-2'], search_query: ['%', 'hello  world', '%'] })
  })

  t.test('results for sessions that are not the caller\'s are dropped', async t => {
    w.n8n.searchIgnoresSessions = true
    t.teardown(() => { w.n8n.searchIgnoresSessions = false })
    const res = await w.app.inject({ method: 'POST', url: '/api/search/', headers: await w.auth(p.member), payload: { query: 'hello' } })
    t.equal(res.statusCode, 201)
    t.same(res.json().results.map((r: any) => [r.session_id, r.author]), [['sess-member-1', 'human'], ['sess-member-2', 'ai']])
  })

  t.test('no sessions → no call, empty results; GUESTs search their own history', async t => {
    const res = await w.app.inject({ method: 'POST', url: '/api/search/', headers: await w.auth(p.guest), payload: { query: 'hello' } })
    t.equal(res.statusCode, 201)
    t.same(res.json(), { status: 'success', results: [] })
    t.equal(w.n8n.requests.length, 0)
  })

  t.test('missing query → 400; anonymous → 401; nothing reaches n8n', async t => {
    const missing = await w.app.inject({ method: 'POST', url: '/api/search/', headers: await w.auth(p.member), payload: {} })
    t.equal(missing.statusCode, 400)
    t.same(missing.json(), { query: ['This field is required.'] })
    const anonymous = await w.app.inject({ method: 'POST', url: '/api/search/', payload: { query: 'x' } })
    t.equal(anonymous.statusCode, 401)
    t.equal(w.n8n.requests.length, 0)
  })

  t.test('an answer without a data list, or the webhook-not-registered 404 of n8n → 502', async t => {
    w.n8n.fail({ kind: 'status', status: 200, body: { ok: true } }, { times: 1 })
    const odd = await w.app.inject({ method: 'POST', url: '/api/search/', headers: await w.auth(p.member), payload: { query: 'x' } })
    t.equal(odd.statusCode, 502)
    w.n8n.fail({ kind: 'status', status: 404, body: { code: 404, message: 'The requested webhook "POST get-message" is not registered.' } }, { times: 1 })
    const unregistered = await w.app.inject({ method: 'POST', url: '/api/search/', headers: await w.auth(p.member), payload: { query: 'x' } })
    t.equal(unregistered.statusCode, 502)
    t.same(unregistered.json(), { detail: 'Error calling external service.' })
  })
})
