// KB writes through the proxy: create (+ link), edit, delete (+ unlink), attach (DB only, existence checked in n8n).
import t from 'tap'
import { form, linkedKb, people, proxyWorld, uuid } from './setup.js'

t.test('KB writes', async t => {
  const w = await proxyWorld(t, { N8N_KB_CREATE_KEY: 'k-create-456' })
  const p = await people(w)
  const member = await w.auth(p.member)
  const guest = await w.auth(p.guest)
  const admin = await w.auth(p.admin)
  const outsider = await w.auth(p.outsider)
  const links = (hash: string) => w.knex('kb_links').where('external_id', hash).orderBy('project_id').select('project_id', 'name')
  t.beforeEach(() => { w.n8n.requests.length = 0 })

  t.test('create: n8n gets {name, description} with the create key; the new hash is linked; project_id merged in', async t => {
    // The fake checks N8N_KB_KEY; accept the create key for this call.
    const key = w.n8n.key
    w.n8n.key = 'k-create-456'
    t.teardown(() => { w.n8n.key = key })
    const res = await w.app.inject({ method: 'POST', url: '/api/kb/create/', headers: member, payload: { name: '  Handbook ', project_id: uuid(p.project.id) } })
    t.equal(res.statusCode, 200)
    const body = res.json()
    const row = w.n8n.kbs.get(body.hash_id)!
    t.ok(row, 'created in n8n')
    t.same(body, { project_id: uuid(p.project.id), status: 'success', name: 'Handbook', description: '', hash_id: row.hash_id, created_at: row.created_at })
    const [call] = w.n8n.requests
    t.match(call, { method: 'POST', path: '/webhook/kb/create/' })
    t.same(call.json, { name: 'Handbook', description: '' }, 'trimmed name, default description, no project')
    t.equal(call.headers.key, 'k-create-456')
    t.same(await links(row.hash_id), [{ project_id: p.project.id, name: 'Handbook' }])
  })

  t.test('create: form and multipart bodies work too', async t => {
    w.n8n.key = 'k-create-456'
    t.teardown(() => { w.n8n.key = 'k-secret-123' })
    const urlencoded = await w.app.inject({
      method: 'POST', url: '/api/kb/create/', headers: { ...member, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `name=Formed&description=d&project_id=${p.project.id}`,
    })
    t.equal(urlencoded.statusCode, 200)
    const multi = form([['name', 'Parted'], ['description', 'p'], ['project_id', uuid(p.project.id)]])
    const multipart = await w.app.inject({ method: 'POST', url: '/api/kb/create/', headers: { ...member, ...multi.headers }, payload: multi.payload })
    t.equal(multipart.statusCode, 200)
    t.same(w.n8n.requests.map(r => r.json), [{ name: 'Formed', description: 'd' }, { name: 'Parted', description: 'p' }])
    t.equal((await links(multipart.json().hash_id)).length, 1)
  })

  t.test('create: a duplicate name → 409 keeping n8n\'s reason; no link is written', async t => {
    w.n8n.key = 'k-create-456'
    t.teardown(() => { w.n8n.key = 'k-secret-123' })
    w.n8n.addKb('Taken')
    const before = await w.knex('kb_links').count({ n: '*' }).first()
    const res = await w.app.inject({ method: 'POST', url: '/api/kb/create/', headers: member, payload: { name: 'Taken', description: 'x', project_id: p.project.id } })
    t.equal(res.statusCode, 409)
    t.same(res.json(), { status: 'error', reason: 'knowledge base already exists', detail: 'knowledge base already exists' })
    t.same(await w.knex('kb_links').count({ n: '*' }).first(), before)
  })

  t.test('create: an answer without an identifier → 502 and no link', async t => {
    w.n8n.fail({ kind: 'status', status: 200, body: { status: 'success', name: 'X' } }, { times: 1 })
    const before = await w.knex('kb_links').count({ n: '*' }).first()
    const res = await w.app.inject({ method: 'POST', url: '/api/kb/create/', headers: member, payload: { name: 'NoId', project_id: p.project.id } })
    t.equal(res.statusCode, 502)
    t.same(res.json(), { detail: 'The n8n answer has no KB identifier.' })
    t.same(await w.knex('kb_links').count({ n: '*' }).first(), before)
  })

  t.test('create: validation (DECISIONS 30), unknown project, guests and outsiders — none reach n8n', async t => {
    const cases: Array<[object, number, unknown]> = [
      [{ project_id: p.project.id }, 400, { name: ['This field is required.'] }],
      [{ name: 'Bob\'s', project_id: p.project.id }, 400, null],
      [{ name: 'a"b', project_id: p.project.id }, 400, null],
      [{ name: 'back\\slash', project_id: p.project.id }, 400, null],
      [{ name: 'tab\there', project_id: p.project.id }, 400, null],
      [{ name: 'x'.repeat(256), project_id: p.project.id }, 400, null],
      [{ name: 'Fine', project_id: crypto.randomUUID() }, 404, { detail: 'Project not found.' }],
      [{ name: 'Fine', project_id: p.other.id }, 403, { detail: 'You do not have access to this project.' }],
    ]
    for (const [payload, status, body] of cases) {
      const res = await w.app.inject({ method: 'POST', url: '/api/kb/create/', headers: member, payload })
      t.equal(res.statusCode, status, JSON.stringify(payload))
      if (body) t.same(res.json(), body)
      else t.ok(res.json().name, 'a field error on name')
    }
    const g = await w.app.inject({ method: 'POST', url: '/api/kb/create/', headers: guest, payload: { name: 'Fine', project_id: p.project.id } })
    t.equal(g.statusCode, 403, 'GUEST is read-only')
    const o = await w.app.inject({ method: 'POST', url: '/api/kb/create/', headers: outsider, payload: { name: 'Fine', project_id: p.project.id } })
    t.equal(o.statusCode, 403)
    t.equal(w.n8n.requests.length, 0)
  })

  t.test('edit: only the fields present are forwarded (PATCH, JSON)', async t => {
    const kb = await linkedKb(w, 'Editable', [p.project])
    const res = await w.app.inject({ method: 'PATCH', url: '/api/kb/edit/', headers: member, payload: { hash_id: kb.hash_id, name: 'Renamed', description: 'New', extra: 'dropped' } })
    t.equal(res.statusCode, 200)
    t.match(res.json(), { status: 'success', name: 'Renamed', description: 'New', hash_id: kb.hash_id })
    t.match(w.n8n.requests[0], { method: 'PATCH', path: '/webhook/kb/edit/' })
    t.same(w.n8n.requests[0].json, { hash_id: kb.hash_id, name: 'Renamed', description: 'New' })
    const partial = await w.app.inject({ method: 'PATCH', url: '/api/kb/edit/', headers: member, payload: { hash_id: kb.hash_id, description: '' } })
    t.equal(partial.statusCode, 200)
    t.same(w.n8n.requests[1].json, { hash_id: kb.hash_id, description: '' })
    t.equal((await links(kb.hash_id))[0].name, 'Editable', 'the local link name is not updated')
  })

  t.test('edit: guest, outsider, bad name → refused before n8n', async t => {
    const kb = await linkedKb(w, 'Locked', [p.project])
    t.equal((await w.app.inject({ method: 'PATCH', url: '/api/kb/edit/', headers: guest, payload: { hash_id: kb.hash_id, name: 'G' } })).statusCode, 403)
    t.equal((await w.app.inject({ method: 'PATCH', url: '/api/kb/edit/', headers: outsider, payload: { hash_id: kb.hash_id, name: 'O' } })).statusCode, 403)
    t.equal((await w.app.inject({ method: 'PATCH', url: '/api/kb/edit/', headers: member, payload: { hash_id: kb.hash_id, name: "O'Neil" } })).statusCode, 400)
    t.equal((await w.app.inject({ method: 'PATCH', url: '/api/kb/edit/', headers: member, payload: { name: 'no hash' } })).statusCode, 400)
    t.equal(w.n8n.requests.length, 0)
  })

  t.test('delete: JSON body to DELETE /webhook/kb/delete/; after n8n confirms, every link of the hash goes (DECISIONS 26)', async t => {
    const kb = await linkedKb(w, 'Doomed', [p.project])
    const res = await w.app.inject({ method: 'DELETE', url: '/api/kb/delete/', headers: member, payload: { hash_id: kb.hash_id } })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'success', hash_id: kb.hash_id })
    t.match(w.n8n.requests[0], { method: 'DELETE', path: '/webhook/kb/delete/', json: { hash_id: kb.hash_id } })
    t.same(await links(kb.hash_id), [])
  })

  t.test('delete: ?hash_id= works when there is no body; admins remove links in every project', async t => {
    const kb = await linkedKb(w, 'Shared doomed', [p.project, p.other])
    const res = await w.app.inject({ method: 'DELETE', url: `/api/kb/delete/?hash_id=${kb.hash_id}`, headers: admin })
    t.equal(res.statusCode, 200)
    t.same(w.n8n.requests[0].json, { hash_id: kb.hash_id })
    t.same(await links(kb.hash_id), [])
  })

  t.test('delete: a KB also linked to someone else\'s project → 403 for a non-admin, nothing reaches n8n, links stay', async t => {
    const kb = await linkedKb(w, 'Shared kept', [p.project, p.other])
    const res = await w.app.inject({ method: 'DELETE', url: '/api/kb/delete/', headers: member, payload: { hash_id: kb.hash_id } })
    t.equal(res.statusCode, 403)
    t.equal(w.n8n.requests.length, 0)
    t.equal((await links(kb.hash_id)).length, 2)
    t.ok(w.n8n.kbs.has(kb.hash_id))
  })

  t.test('delete: n8n failing → the links stay', async t => {
    const kb = await linkedKb(w, 'Survivor', [p.project])
    w.n8n.fail({ kind: 'status', status: 500 }, { times: 1 })
    const res = await w.app.inject({ method: 'DELETE', url: '/api/kb/delete/', headers: member, payload: { hash_id: kb.hash_id } })
    t.equal(res.statusCode, 502)
    t.equal((await links(kb.hash_id)).length, 1)
    const gone = await w.app.inject({ method: 'DELETE', url: '/api/kb/delete/', headers: admin, payload: { hash_id: 'notinn8n' } })
    t.equal(gone.statusCode, 404)
  })

  t.test('attach: checks existence with kb/get, then links (DB only): created, then exists', async t => {
    const kb = w.n8n.addKb('Unlinked')
    const first = await w.app.inject({ method: 'POST', url: `/api/kb/attach/?project_id=${p.project.id}`, headers: member, payload: { hash_id: kb.hash_id, name: 'Local name' } })
    t.equal(first.statusCode, 200)
    t.same(first.json(), { status: 'created', project_id: uuid(p.project.id), hash_id: kb.hash_id, name: 'Local name' })
    t.equal(w.n8n.requests.length, 1)
    t.match(w.n8n.requests[0], { method: 'GET', path: '/webhook/kb/get/', json: { hash_id: kb.hash_id } })
    const again = await w.app.inject({ method: 'POST', url: `/api/kb/attach/?project_id=${p.project.id}`, headers: member, payload: { hash_id: kb.hash_id, name: 'Other' } })
    t.same(again.json(), { status: 'exists', project_id: uuid(p.project.id), hash_id: kb.hash_id, name: 'Local name' })
    t.same(await links(kb.hash_id), [{ project_id: p.project.id, name: 'Local name' }])
    t.notOk(w.n8n.requests.some(r => r.method !== 'GET'), 'nothing written in n8n')
  })

  t.test('attach: a hash unknown to n8n gets the foreign-KB 403 and no link', async t => {
    const res = await w.app.inject({ method: 'POST', url: `/api/kb/attach/?project_id=${p.project.id}`, headers: member, payload: { hash_id: 'ghosthash' } })
    t.equal(res.statusCode, 403)
    t.same(res.json(), { detail: 'You do not have access to this knowledge base.' })
    t.same(await links('ghosthash'), [])
  })

  t.test('attach: a KB linked to someone else\'s project → 403 before any n8n call (DECISIONS footnote 1); admins may', async t => {
    const kb = await linkedKb(w, 'Foreign', [p.other])
    const res = await w.app.inject({ method: 'POST', url: `/api/kb/attach/?project_id=${p.project.id}`, headers: member, payload: { hash_id: kb.hash_id } })
    t.equal(res.statusCode, 403)
    t.equal(w.n8n.requests.length, 0)
    const byAdmin = await w.app.inject({ method: 'POST', url: `/api/kb/attach/?project_id=${p.project.id}`, headers: admin, payload: { hash_id: kb.hash_id } })
    t.equal(byAdmin.statusCode, 200)
    t.equal(byAdmin.json().status, 'created')
  })

  t.test('attach: input order and refusals', async t => {
    const kb = w.n8n.addKb('Attachable')
    const noProject = await w.app.inject({ method: 'POST', url: '/api/kb/attach/', headers: member, payload: { hash_id: kb.hash_id } })
    t.equal(noProject.statusCode, 400)
    const badHash = await w.app.inject({ method: 'POST', url: `/api/kb/attach/?project_id=${p.project.id}`, headers: member, payload: { hash_id: 'a/b' } })
    t.equal(badHash.statusCode, 400)
    const unknown = await w.app.inject({ method: 'POST', url: `/api/kb/attach/?project_id=${crypto.randomUUID()}`, headers: member, payload: { hash_id: kb.hash_id } })
    t.equal(unknown.statusCode, 404)
    const foreignProject = await w.app.inject({ method: 'POST', url: `/api/kb/attach/?project_id=${p.other.id}`, headers: member, payload: { hash_id: kb.hash_id } })
    t.equal(foreignProject.statusCode, 403)
    const byGuest = await w.app.inject({ method: 'POST', url: `/api/kb/attach/?project_id=${p.project.id}`, headers: guest, payload: { hash_id: kb.hash_id } })
    t.equal(byGuest.statusCode, 403)
    t.equal(w.n8n.requests.length, 0)
  })
})
