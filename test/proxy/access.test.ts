// Every access rule of every x-n8n operation: a foreign KB hash or project id (or a read-only GUEST on a write)
// gets 403, and NOTHING reaches n8n. The same requests with the caller's own KB/project succeed.
import t from 'tap'
import { form, linkedKb, people, proxyWorld, uuid } from './setup.js'

t.test('access rules refuse before any upstream call', async t => {
  const w = await proxyWorld(t)
  const p = await people(w)
  const headers = { member: await w.auth(p.member), guest: await w.auth(p.guest) }
  const mine = await linkedKb(w, 'Mine', [p.project])
  const theirs = await linkedKb(w, 'Theirs', [p.other])
  const shared = await linkedKb(w, 'Shared', [p.project, p.other])
  const unlinked = w.n8n.addKb('Unlinked')

  type Who = keyof typeof headers
  const multipart = (who: Who, method: 'POST' | 'PATCH', url: string, entries: Parameters<typeof form>[0]) => {
    const f = form(entries)
    return w.app.inject({ method, url, headers: { ...headers[who], ...f.headers }, payload: f.payload })
  }
  const json = (who: Who, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    w.app.inject({ method, url, headers: headers[who], ...(payload ? { payload } : {}) })

  const cases: Array<{ rule: string, refused: () => Promise<any>, allowed?: () => Promise<any>, detail: string }> = [
    {
      rule: 'listKnowledgeBases {project: project_id}: a foreign project id',
      refused: () => json('member', 'GET', `/api/kb/list-all/?project_id=${p.other.id}`),
      allowed: () => json('member', 'GET', `/api/kb/list-all/?project_id=${p.project.id}`),
      detail: 'You do not have access to this project.',
    },
    {
      rule: 'getKnowledgeBase {kb: hash_id}: a foreign hash',
      refused: () => json('member', 'GET', `/api/kb/get/?hash_id=${theirs.hash_id}`),
      allowed: () => json('member', 'GET', `/api/kb/get/?hash_id=${mine.hash_id}`),
      detail: 'You do not have access to this knowledge base.',
    },
    {
      rule: 'getKnowledgeBase {kb: hash_id}: a hash linked nowhere',
      refused: () => json('member', 'GET', `/api/kb/get/?hash_id=${unlinked.hash_id}`),
      detail: 'You do not have access to this knowledge base.',
    },
    {
      rule: 'listKnowledgeBaseFiles {kb: hash_id}: a foreign hash',
      refused: () => json('member', 'GET', `/api/kb/files/list/?hash_id=${theirs.hash_id}`),
      allowed: () => json('guest', 'GET', `/api/kb/files/list/?hash_id=${mine.hash_id}`),
      detail: 'You do not have access to this knowledge base.',
    },
    {
      rule: 'createKnowledgeBase {project: project_id, write}: a foreign project id',
      refused: () => json('member', 'POST', '/api/kb/create/', { name: 'A', project_id: p.other.id }),
      allowed: () => json('member', 'POST', '/api/kb/create/', { name: 'A', project_id: p.project.id }),
      detail: 'You do not have access to this project.',
    },
    {
      rule: 'createKnowledgeBase {project: project_id, write}: a GUEST member',
      refused: () => json('guest', 'POST', '/api/kb/create/', { name: 'B', project_id: p.project.id }),
      detail: 'Your role does not allow changing knowledge bases.',
    },
    {
      rule: 'updateKnowledgeBase {kb: hash_id, write}: a foreign hash',
      refused: () => json('member', 'PATCH', '/api/kb/edit/', { hash_id: theirs.hash_id, name: 'X' }),
      allowed: () => json('member', 'PATCH', '/api/kb/edit/', { hash_id: mine.hash_id, name: 'Mine', description: 'd' }),
      detail: 'You do not have access to this knowledge base.',
    },
    {
      rule: 'updateKnowledgeBase {kb: hash_id, write}: a GUEST member',
      refused: () => json('guest', 'PATCH', '/api/kb/edit/', { hash_id: mine.hash_id, name: 'X' }),
      detail: 'Your role does not allow changing knowledge bases.',
    },
    {
      rule: 'deleteKnowledgeBase {kb: hash_id, write, links: all}: a foreign hash',
      refused: () => json('member', 'DELETE', '/api/kb/delete/', { hash_id: theirs.hash_id }),
      detail: 'You do not have access to this knowledge base.',
    },
    {
      rule: 'deleteKnowledgeBase {kb: hash_id, write, links: all}: a hash also linked to a foreign project',
      refused: () => json('member', 'DELETE', '/api/kb/delete/', { hash_id: shared.hash_id }),
      detail: 'You do not have access to this knowledge base.',
    },
    {
      rule: 'deleteKnowledgeBase {kb: hash_id, write, links: all}: a GUEST member',
      refused: () => json('guest', 'DELETE', '/api/kb/delete/', { hash_id: mine.hash_id }),
      detail: 'Your role does not allow changing knowledge bases.',
    },
    {
      rule: 'addKnowledgeBaseFile {kb: hash_id, write}: a foreign hash',
      refused: () => multipart('member', 'POST', '/api/kb/file/add/', [['hash_id', theirs.hash_id], ['file', { filename: 'a.pdf', content: 'x' }]]),
      allowed: () => multipart('member', 'POST', '/api/kb/file/add/', [['hash_id', mine.hash_id], ['file', { filename: 'a.pdf', content: 'x' }]]),
      detail: 'You do not have access to this knowledge base.',
    },
    {
      rule: 'addKnowledgeBaseFile {kb: hash_id, write}: a GUEST member',
      refused: () => multipart('guest', 'POST', '/api/kb/file/add/', [['hash_id', mine.hash_id], ['file', { filename: 'g.pdf', content: 'x' }]]),
      detail: 'Your role does not allow changing knowledge bases.',
    },
    {
      rule: 'deleteKnowledgeBaseFile {kb: hash_id, write}: a foreign hash',
      refused: () => json('member', 'DELETE', '/api/kb/file/delete/', { hash_id: theirs.hash_id, file: 'a.pdf' }),
      allowed: () => json('member', 'DELETE', '/api/kb/file/delete/', { hash_id: mine.hash_id, file: 'a.pdf' }),
      detail: 'You do not have access to this knowledge base.',
    },
    {
      rule: 'deleteKnowledgeBaseFile {kb: hash_id, write}: a GUEST member',
      refused: () => json('guest', 'DELETE', '/api/kb/file/delete/', { hash_id: mine.hash_id, file: 'a.pdf' }),
      detail: 'Your role does not allow changing knowledge bases.',
    },
    {
      rule: 'updateKnowledgeBaseFile {project: project_id, write}: a foreign project id',
      refused: () => multipart('member', 'PATCH', '/api/kb/file/update/', [
        ['hash_id', theirs.hash_id], ['project_id', uuid(p.other.id)], ['file', { filename: 'n.pdf', content: 'x' }], ['old_file', 'o.pdf']]),
      allowed: () => multipart('member', 'PATCH', '/api/kb/file/update/', [
        ['hash_id', mine.hash_id], ['project_id', uuid(p.project.id)], ['file', { filename: 'n.pdf', content: 'x' }], ['old_file', 'a.pdf']]),
      detail: 'You do not have access to this project.',
    },
    {
      rule: 'updateKnowledgeBaseFile {kb: hash_id, in: project_id}: a hash not linked to the given project',
      refused: () => multipart('member', 'PATCH', '/api/kb/file/update/', [
        ['hash_id', theirs.hash_id], ['project_id', uuid(p.project.id)], ['file', { filename: 'n.pdf', content: 'x' }], ['old_file', 'o.pdf']]),
      detail: 'The knowledge base does not belong to the project.',
    },
    {
      rule: 'updateKnowledgeBaseFile {project: project_id, write}: a GUEST member',
      refused: () => multipart('guest', 'PATCH', '/api/kb/file/update/', [
        ['hash_id', mine.hash_id], ['project_id', uuid(p.project.id)], ['file', { filename: 'n.pdf', content: 'x' }], ['old_file', 'o.pdf']]),
      detail: 'Your role does not allow changing knowledge bases.',
    },
    {
      rule: 'attachKnowledgeBase {project: project_id, write}: a foreign project id',
      refused: () => json('member', 'POST', `/api/kb/attach/?project_id=${p.other.id}`, { hash_id: unlinked.hash_id }),
      allowed: () => json('member', 'POST', `/api/kb/attach/?project_id=${p.project.id}`, { hash_id: unlinked.hash_id }),
      detail: 'You do not have access to this project.',
    },
    {
      rule: 'attachKnowledgeBase {kb: hash_id, links: mine-or-none}: a hash linked to a foreign project',
      refused: () => json('member', 'POST', `/api/kb/attach/?project_id=${p.project.id}`, { hash_id: theirs.hash_id }),
      detail: 'You do not have access to this knowledge base.',
    },
    {
      rule: 'attachKnowledgeBase {project: project_id, write}: a GUEST member',
      refused: () => json('guest', 'POST', `/api/kb/attach/?project_id=${p.project.id}`, { hash_id: unlinked.hash_id }),
      detail: 'Your role does not allow changing knowledge bases.',
    },
  ]

  for (const c of cases) {
    t.test(c.rule, async t => {
      w.n8n.requests.length = 0
      const res = await c.refused()
      t.equal(res.statusCode, 403)
      t.same(res.json(), { detail: c.detail })
      t.same(w.n8n.requests, [], 'no upstream request recorded')
      if (c.allowed) {
        const ok = await c.allowed()
        t.ok(ok.statusCode >= 200 && ok.statusCode < 300, `the caller's own ${c.rule.split(':')[0]} is allowed (${ok.statusCode} ${ok.body})`)
        t.ok(w.n8n.requests.length >= 1, 'and reaches n8n')
      }
    })
  }
})
