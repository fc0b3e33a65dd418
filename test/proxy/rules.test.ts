// The x-n8n rule format is checked when the server starts: every declared rule compiles, and a broken rule stops
// start-up with a message naming the operation and the problem.
import t from 'tap'
import { routes } from '../../generated/routes.js'
import { compileRule, proxyEngine, RuleError } from '../../src/engine/proxy/index.js'
import type { RouteEntry } from '../../src/engine/route-table.js'

const all = Object.values(routes as Record<string, RouteEntry>)

t.test('every x-n8n operation of openapi.yaml compiles, aliases included', async t => {
  const n8n = all.filter(r => r.kind === 'n8n')
  t.same(n8n.map(r => r.operationId).sort(), [
    'addKnowledgeBaseFile', 'addKnowledgeBaseFileAlias', 'attachKnowledgeBase', 'createKnowledgeBase', 'deleteKnowledgeBase',
    'deleteKnowledgeBaseFile', 'deleteKnowledgeBaseFileAlias', 'getKnowledgeBase', 'listKnowledgeBaseFiles', 'listKnowledgeBases',
    'listKnowledgeBasesAlias', 'searchMessages', 'updateKnowledgeBase', 'updateKnowledgeBaseFile',
  ])
  for (const route of n8n) t.doesNotThrow(() => proxyEngine(route, {} as any), route.operationId)
  for (const alias of n8n.filter(r => r.aliasOf)) {
    t.same(alias.n8n, (routes as Record<string, RouteEntry>)[alias.aliasOf!].n8n, `${alias.operationId} has its canonical rule`)
  }
})

t.test('the compiled rules carry the declared deadlines (DECISIONS 29) and keys', async t => {
  const rule = (id: string) => compileRule((routes as Record<string, RouteEntry>)[id])
  t.equal(rule('getKnowledgeBase').call!.timeoutMs, 15_000)
  t.equal(rule('addKnowledgeBaseFile').call!.timeoutMs, 120_000)
  t.equal(rule('updateKnowledgeBaseFile').steps.add.timeoutMs, 120_000)
  t.equal(rule('updateKnowledgeBaseFile').steps.delete.timeoutMs, 15_000)
  t.equal(rule('createKnowledgeBase').call!.key, 'create')
  t.equal(rule('addKnowledgeBaseFile').maxUploadBytes, 100 * 1024 * 1024)
})

const base: RouteEntry = {
  operationId: 'probeOperation', method: 'GET', path: '/api/probe/', tag: 'kb', kind: 'n8n', security: 'required',
  aliasOf: null, policy: null, crud: null, n8n: null, multipart: null, rateLimit: null, head: true,
}
const good = { webhook: '/webhook/x', method: 'GET', input: { hash_id: { from: 'query', type: 'hash' } }, access: { kb: 'hash_id' }, send: { json: ['hash_id'] } }

t.test('a good probe rule compiles', async t => {
  t.doesNotThrow(() => compileRule({ ...base, n8n: good }))
})

t.test('broken rules stop start-up with the operation and the problem named', async t => {
  const broken: Array<[string, Record<string, unknown>, RegExp, Partial<RouteEntry>?]> = [
    ['unknown key', { ...good, retries: 3 }, /retries|additional/i],
    ['bad method', { ...good, method: 'FETCH' }, /\/method/],
    ['webhook not a path', { ...good, webhook: 'http://elsewhere/x' }, /\/webhook/],
    ['unknown source', { ...good, input: { hash_id: { from: 'header', type: 'hash' } } }, /\/input\/hash_id\/from/],
    ['unknown field type', { ...good, input: { hash_id: { from: 'query', type: 'email' } } }, /\/input\/hash_id\/type/],
    ['send names an undeclared input', { ...good, send: { json: ['hash_id', 'name'] } }, /main\.send refers to "name"/],
    ['access names an undeclared input', { ...good, access: { kb: 'hash' } }, /access\[0\] refers to "hash"/],
    ['unknown processor', { ...good, processor: 'magic' }, /\/processor/],
    ['processor without its inputs', { ...good, processor: 'kb-list' }, /kb-list needs an input named "project_id"/],
    ['bad timeout', { ...good, timeout: '15 minutes' }, /\/timeout/],
    ['timeout too long', { ...good, timeout: '900s' }, /outside/],
    ['no call and no upstream: none', { input: good.input }, /exactly one of/],
    ['webhook without method', { webhook: '/webhook/x' }, /webhook and method go together|exactly one/],
    ['upstream none without processor', { upstream: 'none', input: good.input }, /needs a processor/],
    ['sequence with unknown step', { input: good.input, steps: { a: { webhook: '/w', method: 'GET' } }, sequence: [{ steps: ['b'] }] }, /unknown step "b"/],
    ['conditional last branch', { input: good.input, steps: { a: { webhook: '/w', method: 'GET' } }, sequence: [{ when: 'hash_id == hash_id', steps: ['a'] }] }, /last sequence branch/],
    ['file input on a JSON route', { ...good, input: { ...good.input, file: { from: 'body', type: 'file' } } }, /multipart request body/],
    ['file input not streamed', { ...good, input: { ...good.input, file: { from: 'body', type: 'file' } } }, /x-multipart: stream/, { multipart: 'fields' }],
    ['multipart without a file', { ...good, send: { multipart: ['hash_id'] } }, /exactly one file input/, { multipart: 'stream' }],
    ['links refer to unknown values', { ...good, links: { remove: { hash: 'nope' } } }, /links\.remove\.hash refers to "nope"/],
  ]
  for (const [name, n8n, message, route] of broken) {
    const err = (() => { try { compileRule({ ...base, ...route, n8n }); return null } catch (e) { return e as Error } })()
    t.type(err, RuleError, name)
    t.match(err?.message, /^Invalid x-n8n rule of operation probeOperation \(GET \/api\/probe\/\): /, `${name}: names the operation`)
    t.match(err?.message, message, `${name}: names the problem`)
  }
})
