// KB files through the proxy: add (streamed multipart), delete, and update as a declared sequence of steps.
import { createHash } from 'node:crypto'
import t from 'tap'
import { form, linkedKb, people, proxyWorld, uuid } from './setup.js'

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

t.test('KB files', async t => {
  const w = await proxyWorld(t, {}, { maxUploadBytes: 64 * 1024 })
  const p = await people(w)
  const member = await w.auth(p.member)
  const guest = await w.auth(p.guest)
  const admin = await w.auth(p.admin)
  const outsider = await w.auth(p.outsider)
  const kb = await linkedKb(w, 'Docs', [p.project])
  const theirs = await linkedKb(w, 'Theirs', [p.other])
  t.beforeEach(() => { w.n8n.requests.length = 0 })

  const upload = (url: string, headers: object, entries: Parameters<typeof form>[0], method: 'POST' | 'PATCH' = 'POST') => {
    const f = form(entries)
    return w.app.inject({ method, url, headers: { ...headers, ...f.headers }, payload: f.payload })
  }

  t.test('file add: multipart relayed with hash_id and the file part named `file`; project_id is not sent', async t => {
    const content = 'PDF-1.4 '.repeat(1000)
    const res = await upload('/api/kb/file/add/', member, [
      ['hash_id', kb.hash_id], ['project_id', uuid(p.project.id)], ['upload', 'ignored'],
      ['file', { filename: 'report.pdf', content, type: 'application/pdf' }],
    ])
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'success', file: 'report.pdf' })
    const [call] = w.n8n.requests
    t.match(call, { method: 'POST', path: '/webhook/kb/file/add' })
    t.equal(call.headers.key, w.n8n.key)
    t.match(call.headers['content-type'], /^multipart\/form-data; boundary=/)
    t.same(call.parts!.map(({ name, filename, contentType, size, value }) => ({ name, filename, contentType, size, value })), [
      { name: 'hash_id', filename: null, contentType: null, size: kb.hash_id.length, value: kb.hash_id },
      { name: 'file', filename: 'report.pdf', contentType: 'application/pdf', size: content.length, value: null },
    ])
    t.equal(call.parts![1].sha256, sha(content), 'the bytes arrive unchanged')
  })

  t.test('file add: a file part before hash_id is spooled, then relayed the same way; the seed alias works', async t => {
    const content = Buffer.alloc(20_000, 7)
    const res = await upload('/api/kb/files/add/', member, [
      ['file', { filename: 'C:/Users/me/notes.txt', content, type: 'text/plain' }], ['hash_id', kb.hash_id],
    ])
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'success', file: 'notes.txt' }, 'the base name only')
    const parts = w.n8n.requests[0].parts!
    t.same(parts.map(p => [p.name, p.filename, p.size]), [['hash_id', null, kb.hash_id.length], ['file', 'notes.txt', 20_000]])
    t.equal(parts[1].sha256, sha(content))
  })

  t.test('file add: a non-ASCII file name reaches n8n unchanged (UTF-8)', async t => {
    const res = await upload('/api/kb/file/add/', member, [['hash_id', kb.hash_id], ['file', { filename: 'relatório ünïcode 文件.pdf', content: 'x' }]])
    t.equal(res.statusCode, 200)
    t.equal(w.n8n.requests[0].parts![1].filename, 'relatório ünïcode 文件.pdf')
  })

  t.test('file add: n8n "file already indexed" → 409; "Error while indexing file" (500) → 502 with the reason', async t => {
    w.n8n.files.set(kb.hash_id, new Set(['dup.pdf']))
    const dup = await upload('/api/kb/file/add/', member, [['hash_id', kb.hash_id], ['file', { filename: 'dup.pdf', content: 'x' }]])
    t.equal(dup.statusCode, 409)
    t.same(dup.json(), { status: 'error', reason: 'file already indexed', detail: 'file already indexed' })
    w.n8n.fail({ kind: 'status', status: 500, body: { status: 'error', reason: 'Error while indexing file' } }, { times: 1 })
    const broken = await upload('/api/kb/file/add/', member, [['hash_id', kb.hash_id], ['file', { filename: 'new.pdf', content: 'x' }]])
    t.equal(broken.statusCode, 502)
    t.same(broken.json(), { status: 'error', reason: 'Error while indexing file', detail: 'Error while indexing file' })
  })

  t.test('file add: refused before n8n — foreign KB, guest, no file, unsafe name, JSON body, too large', async t => {
    const foreign = await upload('/api/kb/file/add/', member, [['hash_id', theirs.hash_id], ['file', { filename: 'a.pdf', content: 'x' }]])
    t.equal(foreign.statusCode, 403)
    t.same(foreign.json(), { detail: 'You do not have access to this knowledge base.' })
    const byOutsider = await upload('/api/kb/file/add/', outsider, [['hash_id', kb.hash_id], ['file', { filename: 'a.pdf', content: 'x' }]])
    t.equal(byOutsider.statusCode, 403)
    const byGuest = await upload('/api/kb/file/add/', guest, [['hash_id', kb.hash_id], ['file', { filename: 'a.pdf', content: 'x' }]])
    t.equal(byGuest.statusCode, 403)
    const noFile = await upload('/api/kb/file/add/', member, [['hash_id', kb.hash_id]])
    t.equal(noFile.statusCode, 400)
    t.same(noFile.json(), { file: ['No file was submitted.'] })
    const noHash = await upload('/api/kb/file/add/', member, [['file', { filename: 'a.pdf', content: 'x' }]])
    t.equal(noHash.statusCode, 400)
    t.same(noHash.json(), { hash_id: ['This field is required.'] })
    const unsafe = await upload('/api/kb/file/add/', member, [['hash_id', kb.hash_id], ['file', { filename: "it's.pdf", content: 'x' }]])
    t.equal(unsafe.statusCode, 400)
    t.same(unsafe.json(), { file: ['Names may not contain quotes, backslashes or control characters.'] })
    const json = await w.app.inject({ method: 'POST', url: '/api/kb/file/add/', headers: member, payload: { hash_id: kb.hash_id } })
    t.equal(json.statusCode, 415)
    const urlencoded = await w.app.inject({
      method: 'POST', url: '/api/kb/file/add/', headers: { ...member, 'content-type': 'application/x-www-form-urlencoded' }, payload: `hash_id=${kb.hash_id}`,
    })
    t.equal(urlencoded.statusCode, 400, 'urlencoded cannot carry a file')
    const big = await upload('/api/kb/file/add/', member, [['hash_id', kb.hash_id], ['file', { filename: 'big.bin', content: Buffer.alloc(65 * 1024) }]])
    t.equal(big.statusCode, 413)
    t.same(big.json(), { detail: 'The file is larger than the upload limit.' })
    t.notOk(w.n8n.requests.some(r => r.parts?.some(p => p.filename === 'big.bin' && p.size === 65 * 1024)), 'never a whole oversized file upstream')
    t.equal(w.n8n.requests.filter(r => r.parts).length, 0, 'no upload reached n8n completely')
  })

  t.test('file delete: JSON body {hash_id, file} to DELETE /webhook/webhook/kb/file/delete; query form; alias', async t => {
    const res = await w.app.inject({ method: 'DELETE', url: '/api/kb/file/delete/', headers: member, payload: { hash_id: kb.hash_id, file: 'report.pdf' } })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'success', file_removed: 'report.pdf' })
    t.match(w.n8n.requests[0], { method: 'DELETE', path: '/webhook/webhook/kb/file/delete', json: { hash_id: kb.hash_id, file: 'report.pdf' } })
    t.equal(w.n8n.requests[0].headers.key, w.n8n.key)
    const byQuery = await w.app.inject({ method: 'DELETE', url: `/api/kb/file/delete/?hash_id=${kb.hash_id}&file=notes.txt`, headers: member })
    t.equal(byQuery.statusCode, 200)
    t.same(w.n8n.requests[1].json, { hash_id: kb.hash_id, file: 'notes.txt' })
    const alias = await w.app.inject({ method: 'DELETE', url: '/api/kb/files/delete/', headers: member, payload: { hash_id: kb.hash_id, file: 'x.md' } })
    t.equal(alias.statusCode, 200)
    t.same(w.n8n.requests[2].json, { hash_id: kb.hash_id, file: 'x.md' })
  })

  t.test('file delete: unsafe file name, missing file, foreign KB, guest → refused before n8n', async t => {
    const sqlish = await w.app.inject({ method: 'DELETE', url: '/api/kb/file/delete/', headers: member, payload: { hash_id: kb.hash_id, file: "x' OR '1'='1" } })
    t.equal(sqlish.statusCode, 400)
    const missing = await w.app.inject({ method: 'DELETE', url: `/api/kb/file/delete/?hash_id=${kb.hash_id}`, headers: member })
    t.equal(missing.statusCode, 400)
    t.same(missing.json(), { detail: "Parameter 'file' is required." })
    const foreign = await w.app.inject({ method: 'DELETE', url: '/api/kb/file/delete/', headers: member, payload: { hash_id: theirs.hash_id, file: 'a.pdf' } })
    t.equal(foreign.statusCode, 403)
    const byGuest = await w.app.inject({ method: 'DELETE', url: '/api/kb/file/delete/', headers: guest, payload: { hash_id: kb.hash_id, file: 'a.pdf' } })
    t.equal(byGuest.statusCode, 403)
    t.equal(w.n8n.requests.length, 0)
  })

  const update = (headers: object, entries: Parameters<typeof form>[0]) => upload('/api/kb/file/update/', headers, entries, 'PATCH')
  const frontendOrder = (file: string, oldFile: string, content = 'v2'): Parameters<typeof form>[0] => [
    ['hash_id', kb.hash_id], ['project_id', uuid(p.project.id)], ['file', { filename: file, content }], ['old_file', oldFile],
  ]

  t.test('file update, new name: add, then delete the old file (DECISIONS 31)', async t => {
    w.n8n.files.set(kb.hash_id, new Set(['manual.pdf']))
    const res = await update(member, frontendOrder('manual-v2.pdf', 'manual.pdf'))
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'ok', added: { status: 'success', file: 'manual-v2.pdf' }, deleted: { status: 'success', file_removed: 'manual.pdf' } })
    t.same(w.n8n.requests.map(r => [r.method, r.path]), [['POST', '/webhook/kb/file/add'], ['DELETE', '/webhook/webhook/kb/file/delete']])
    t.same(w.n8n.requests[0].parts!.map(p => [p.name, p.filename, p.size]), [['hash_id', null, kb.hash_id.length], ['file', 'manual-v2.pdf', 2]])
    t.same(w.n8n.requests[1].json, { hash_id: kb.hash_id, file: 'manual.pdf' })
    t.same([...w.n8n.files.get(kb.hash_id)!], ['manual-v2.pdf'])
  })

  t.test('file update, same name: delete, then add (the add never meets "already indexed")', async t => {
    w.n8n.files.set(kb.hash_id, new Set(['same.pdf']))
    const res = await update(member, frontendOrder('same.pdf', 'same.pdf', 'new bytes'))
    t.equal(res.statusCode, 200)
    t.same(w.n8n.requests.map(r => r.method), ['DELETE', 'POST'])
    t.equal(w.n8n.requests[1].parts![1].sha256, sha('new bytes'))
  })

  t.test('file update, new name, the delete fails → 207: the new file stays, the old one too', async t => {
    w.n8n.files.set(kb.hash_id, new Set(['old.pdf']))
    w.n8n.fail({ kind: 'status', status: 200, body: { status: 'error', reason: 'Error while deleting' } }, { path: 'file/delete', times: 1 })
    const res = await update(member, frontendOrder('fresh.pdf', 'old.pdf'))
    t.equal(res.statusCode, 207)
    t.same(res.json(), {
      detail: 'New file added but the old one was not removed.',
      add: { status: 'success', file: 'fresh.pdf' },
      delete: { status: 'error', reason: 'Error while deleting', detail: 'Error while deleting' },
    })
  })

  t.test('file update, same name, the add fails after the delete → 502 saying the old file is gone', async t => {
    w.n8n.files.set(kb.hash_id, new Set(['same2.pdf']))
    w.n8n.fail({ kind: 'status', status: 500, body: { status: 'error', reason: 'Error while indexing file' } }, { path: 'file/add', times: 1 })
    const res = await update(member, frontendOrder('same2.pdf', 'same2.pdf'))
    t.equal(res.statusCode, 502)
    t.same(res.json(), { status: 'error', reason: 'Error while indexing file', detail: 'The old file was deleted but adding the new one failed.', step: 'add' })
  })

  t.test('file update, new name, the add fails → its error, and the old file is not touched', async t => {
    w.n8n.files.set(kb.hash_id, new Set(['keep.pdf', 'taken.pdf']))
    const res = await update(member, frontendOrder('taken.pdf', 'keep.pdf'))
    t.equal(res.statusCode, 409)
    t.same(w.n8n.requests.map(r => r.method), ['POST'])
    t.ok(w.n8n.files.get(kb.hash_id)!.has('keep.pdf'))
  })

  t.test('file update: missing fields, JSON, project checks, KB not linked to the project (admins too) → refused before n8n', async t => {
    const noOld = await update(member, [['hash_id', kb.hash_id], ['project_id', uuid(p.project.id)], ['file', { filename: 'a.pdf', content: 'x' }]])
    t.equal(noOld.statusCode, 400)
    t.same(noOld.json(), { detail: 'hash_id, file, project_id and old_file are required.' })
    const noFile = await update(member, [['hash_id', kb.hash_id], ['project_id', uuid(p.project.id)], ['old_file', 'a.pdf']])
    t.same(noFile.json(), { detail: 'hash_id, file, project_id and old_file are required.' })
    const json = await w.app.inject({ method: 'PATCH', url: '/api/kb/file/update/', headers: member, payload: { hash_id: kb.hash_id } })
    t.equal(json.statusCode, 415)
    const unknownProject = await update(member, [['hash_id', kb.hash_id], ['project_id', crypto.randomUUID()], ['file', { filename: 'a.pdf', content: 'x' }], ['old_file', 'b.pdf']])
    t.equal(unknownProject.statusCode, 404)
    const foreignProject = await update(member, [['hash_id', theirs.hash_id], ['project_id', uuid(p.other.id)], ['file', { filename: 'a.pdf', content: 'x' }], ['old_file', 'b.pdf']])
    t.equal(foreignProject.statusCode, 403)
    t.same(foreignProject.json(), { detail: 'You do not have access to this project.' })
    const notLinked = await update(member, [['hash_id', theirs.hash_id], ['project_id', uuid(p.project.id)], ['file', { filename: 'a.pdf', content: 'x' }], ['old_file', 'b.pdf']])
    t.equal(notLinked.statusCode, 403)
    t.same(notLinked.json(), { detail: 'The knowledge base does not belong to the project.' })
    const adminNotLinked = await update(admin, [['hash_id', theirs.hash_id], ['project_id', uuid(p.project.id)], ['file', { filename: 'a.pdf', content: 'x' }], ['old_file', 'b.pdf']])
    t.equal(adminNotLinked.statusCode, 403, 'the link rule holds for admins too')
    const byGuest = await update(guest, frontendOrder('g.pdf', 'h.pdf'))
    t.equal(byGuest.statusCode, 403)
    const unsafeOld = await update(member, frontendOrder('a.pdf', 'b"c.pdf'))
    t.equal(unsafeOld.statusCode, 400)
    t.equal(w.n8n.requests.length, 0)
  })
})
