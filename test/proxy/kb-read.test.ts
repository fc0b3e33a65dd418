// KB reads through the proxy: list-all (and its seed alias), get, files list — what reaches n8n and what comes back.
import t from 'tap'
import { linkedKb, people, proxyWorld, uuid } from './setup.js'

t.test('KB reads', async t => {
  const w = await proxyWorld(t, {}, { maxTimeoutMs: 400 })
  const p = await people(w)
  const member = await w.auth(p.member)
  const guest = await w.auth(p.guest)
  const admin = await w.auth(p.admin)
  const outsider = await w.auth(p.outsider)
  const mine = await linkedKb(w, 'Manuals', [p.project])
  const shared = await linkedKb(w, 'Shared', [p.project, p.other])
  const theirs = await linkedKb(w, 'Theirs', [p.other])
  const orphan = w.n8n.addKb('Orphan', 'linked nowhere')
  t.beforeEach(() => { w.n8n.requests.length = 0 })

  t.test('list-all: n8n rows reshaped and filtered to the project\'s links; GET without body, with the key', async t => {
    const res = await w.app.inject({ method: 'GET', url: `/api/kb/list-all/?project_id=${uuid(p.project.id)}`, headers: member })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.same(body, {
      status: 'success', project_id: uuid(p.project.id), count: 2,
      kbs: [mine, shared].map(k => ({ external_id: k.hash_id, ...k })),
    })
    t.equal(w.n8n.requests.length, 1)
    const [call] = w.n8n.requests
    t.equal(call.method, 'GET')
    t.equal(call.path, '/webhook/kb/list-all')
    t.equal(call.headers.key, w.n8n.key)
    t.equal(call.bodySize, 0)
    t.same(call.query, {}, 'no query string reaches n8n')
    t.notOk(call.headers.authorization, 'the caller\'s token is not forwarded')
  })

  t.test('list-all: the seed spelling /api/kb/list/ and the slash-less path are the same operation', async t => {
    for (const url of [`/api/kb/list/?project_id=${p.project.id}`, `/api/kb/list-all?project_id=${p.project.id}`]) {
      const res = await w.app.inject({ method: 'GET', url, headers: member })
      t.equal(res.statusCode, 200, url)
      t.equal(res.json().count, 2)
    }
    t.equal(w.n8n.requests.length, 2)
  })

  t.test('list-all: guests read; admins see only the project\'s links too (DECISIONS 25)', async t => {
    const g = await w.app.inject({ method: 'GET', url: `/api/kb/list-all/?project_id=${p.project.id}`, headers: guest })
    t.equal(g.statusCode, 200)
    const a = await w.app.inject({ method: 'GET', url: `/api/kb/list-all/?project_id=${p.other.id}`, headers: admin })
    t.equal(a.statusCode, 200)
    t.same(a.json().kbs.map((k: any) => k.hash_id), [shared.hash_id, theirs.hash_id])
    t.notOk(a.json().kbs.some((k: any) => k.hash_id === orphan.hash_id), 'an unlinked KB is invisible')
  })

  t.test('list-all: input errors and refusals never reach n8n', async t => {
    const missing = await w.app.inject({ method: 'GET', url: '/api/kb/list-all/', headers: member })
    t.equal(missing.statusCode, 400)
    t.same(missing.json(), { detail: "Parameter 'project_id' is required." })
    const malformed = await w.app.inject({ method: 'GET', url: '/api/kb/list-all/?project_id=nope', headers: member })
    t.equal(malformed.statusCode, 404)
    t.same(malformed.json(), { detail: 'Project not found.' })
    const unknown = await w.app.inject({ method: 'GET', url: `/api/kb/list-all/?project_id=${crypto.randomUUID()}`, headers: member })
    t.equal(unknown.statusCode, 404)
    const foreign = await w.app.inject({ method: 'GET', url: `/api/kb/list-all/?project_id=${p.other.id}`, headers: member })
    t.equal(foreign.statusCode, 403)
    t.same(foreign.json(), { detail: 'You do not have access to this project.' })
    const anonymous = await w.app.inject({ method: 'GET', url: `/api/kb/list-all/?project_id=${p.project.id}` })
    t.equal(anonymous.statusCode, 401)
    t.equal(w.n8n.requests.length, 0, 'nothing reached n8n')
  })

  t.test('list-all: n8n\'s empty-table placeholder [{}] gives an empty list', async t => {
    const w2 = await proxyWorld(t)
    const q = await people(w2)
    const res = await w2.app.inject({ method: 'GET', url: `/api/kb/list-all/?project_id=${q.project.id}`, headers: await w2.auth(q.member) })
    t.same(res.json(), { status: 'success', project_id: uuid(q.project.id), count: 0, kbs: [] })
  })

  t.test('get: the hash goes in a JSON body on GET, with the key; n8n\'s answer passes through', async t => {
    const res = await w.app.inject({ method: 'GET', url: `/api/kb/get/?hash_id=${mine.hash_id}`, headers: member })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'success', name: 'Manuals', description: 'Manuals description', hash_id: mine.hash_id, created_at: mine.created_at })
    const [call] = w.n8n.requests
    t.match(call, { method: 'GET', path: '/webhook/kb/get/', json: { hash_id: mine.hash_id }, query: {} })
    t.equal(call.headers.key, w.n8n.key)
    t.match(call.headers['content-type'], /^application\/json/)
  })

  t.test('get: a hash in a JSON body of the GET is used when the query has none (knowledge-bases §6.2)', async t => {
    const res = await w.app.inject({
      method: 'GET', url: '/api/kb/get/', headers: { ...member, 'content-type': 'application/json' }, payload: JSON.stringify({ hash_id: shared.hash_id }),
    })
    t.equal(res.statusCode, 200)
    t.equal(res.json().hash_id, shared.hash_id)
    t.same(w.n8n.requests[0].json, { hash_id: shared.hash_id })
  })

  t.test('get: guests read; admins read any KB; n8n "does not exist" → 404 keeping status and reason', async t => {
    t.equal((await w.app.inject({ method: 'GET', url: `/api/kb/get/?hash_id=${mine.hash_id}`, headers: guest })).statusCode, 200)
    t.equal((await w.app.inject({ method: 'GET', url: `/api/kb/get/?hash_id=${orphan.hash_id}`, headers: admin })).statusCode, 200)
    const gone = await w.app.inject({ method: 'GET', url: '/api/kb/get/?hash_id=unknownhash', headers: admin })
    t.equal(gone.statusCode, 404)
    t.same(gone.json(), { status: 'error', reason: 'knowledge base does not exist', detail: 'knowledge base does not exist' })
  })

  t.test('get: missing or malformed hash → 400; foreign, unlinked or unknown hash → the same 403; nothing reaches n8n', async t => {
    const missing = await w.app.inject({ method: 'GET', url: '/api/kb/get/', headers: member })
    t.equal(missing.statusCode, 400)
    t.same(missing.json(), { detail: "Parameter 'hash_id' is required." })
    const bad = await w.app.inject({ method: 'GET', url: `/api/kb/get/?hash_id=${encodeURIComponent("x' OR 1=1 --")}`, headers: member })
    t.equal(bad.statusCode, 400)
    t.ok(bad.json().hash_id, 'field error on hash_id')
    const bodies = []
    for (const hash of [theirs.hash_id, orphan.hash_id, 'neverexisted']) {
      const res = await w.app.inject({ method: 'GET', url: `/api/kb/get/?hash_id=${hash}`, headers: member })
      t.equal(res.statusCode, 403, hash)
      bodies.push(res.json())
    }
    t.same(bodies, Array(3).fill({ detail: 'You do not have access to this knowledge base.' }), 'indistinguishable refusals')
    const outsiderRes = await w.app.inject({ method: 'GET', url: `/api/kb/get/?hash_id=${mine.hash_id}`, headers: outsider })
    t.equal(outsiderRes.statusCode, 403)
    t.equal(w.n8n.requests.length, 0)
  })

  t.test('get: hashes are compared exactly (no case folding)', async t => {
    const res = await w.app.inject({ method: 'GET', url: `/api/kb/get/?hash_id=${mine.hash_id.toUpperCase()}`, headers: member })
    t.equal(res.statusCode, 403)
    t.equal(w.n8n.requests.length, 0)
  })

  t.test('files list: GET with JSON body to the doubled /webhook/webhook path; n8n\'s list passes through', async t => {
    w.n8n.files.set(mine.hash_id, new Set(['a.pdf', 'b.md']))
    const res = await w.app.inject({ method: 'GET', url: `/api/kb/files/list/?hash_id=${mine.hash_id}`, headers: guest })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'success', files: ['a.pdf', 'b.md'] })
    t.match(w.n8n.requests[0], { method: 'GET', path: '/webhook/webhook/kb/file/list', json: { hash_id: mine.hash_id } })
    t.equal(w.n8n.requests[0].headers.key, w.n8n.key)
  })

  t.test('files list: an empty 2xx → {"status": "success", "files": []}; a silent n8n → 504 (DECISIONS 28)', async t => {
    const empty = await w.app.inject({ method: 'GET', url: `/api/kb/files/list/?hash_id=${shared.hash_id}`, headers: member })
    t.equal(empty.statusCode, 200)
    t.same(empty.json(), { status: 'success', files: [] })
    w.n8n.emptyFileList = 'hang'
    t.teardown(() => { w.n8n.emptyFileList = 'empty' })
    const silent = await w.app.inject({ method: 'GET', url: `/api/kb/files/list/?hash_id=${shared.hash_id}`, headers: member })
    t.equal(silent.statusCode, 504)
    t.same(silent.json(), { detail: 'Timeout calling external service.' })
  })

  t.test('files list: foreign hash → 403 and nothing reaches n8n; unknown in n8n (admin) → 404', async t => {
    const res = await w.app.inject({ method: 'GET', url: `/api/kb/files/list/?hash_id=${theirs.hash_id}`, headers: member })
    t.equal(res.statusCode, 403)
    t.equal(w.n8n.requests.length, 0)
    const gone = await w.app.inject({ method: 'GET', url: '/api/kb/files/list/?hash_id=nothere', headers: admin })
    t.equal(gone.statusCode, 404)
    t.equal(gone.json().reason, 'knowledge base does not exist')
  })
})
