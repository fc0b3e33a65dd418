// Every operation of the contract is declared, routed, and answers: implemented, or 501 JSON — never a route 404.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { stringify } from 'yaml'
import { listOperations, readSpec } from '../../codegen/spec.js'
import { stubs } from '../../generated/stubs.js'
import { buildTestApp } from '../helpers/app.js'

const operations = listOperations(readSpec('openapi.yaml'))
const expected = readFileSync('test/fixtures/expected-operations.txt', 'utf8')
  .split('\n').map(l => l.trim()).filter(l => l && !l.startsWith('#'))

t.test('openapi.yaml declares exactly the operations kept in test/fixtures/expected-operations.txt', async t => {
  const declared = operations.map(o => `${o.method} ${o.path} ${o.operationId}`).sort()
  t.equal(declared.length, expected.length, 'operation count')
  t.same(declared, [...expected].sort())
})

t.test('each operation has a tag, a summary and declared responses', async t => {
  const spec = readSpec('openapi.yaml')
  for (const op of operations) {
    const raw = spec.paths[op.path][op.method.toLowerCase()]
    t.ok(raw.tags?.length === 1, `${op.operationId} has one tag`)
    t.ok(raw.summary, `${op.operationId} has a summary`)
    t.ok(Object.keys(raw.responses ?? {}).some(s => /^[23]/.test(s)), `${op.operationId} declares a success response`)
  }
})

t.test('every routed operation answers; custom operations without a handler answer 501 JSON', async t => {
  const { app, seed, auth } = await buildTestApp(t)
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const headers = await auth(admin)
  const anyId = '5f0c6f54-3a5e-4e0b-9d39-2f1b1a8b6c11'
  for (const op of operations.filter(o => o.kind !== 'docs')) {
    const url = op.path.replace(/\{[^}]+\}/g, anyId)
    t.ok(app.hasRoute({ method: op.method as any, url: op.path.replace(/\{([^}]+)\}/g, ':$1').replace(/\/$/, '') }), `${op.operationId} is routed`)
    if (!(op.operationId in stubs)) continue
    const res = await app.inject({ method: op.method as any, url, headers })
    t.equal(res.statusCode, 501, `${op.operationId} answers 501`)
    t.same(res.json(), { detail: `Not implemented: ${op.operationId}` })
  }
})

t.test('a custom operation declared in the spec but without a handler answers 501 JSON, not 404', async t => {
  const spec = readSpec('openapi.yaml')
  spec.paths['/api/reports/{id}/'] = {
    get: {
      operationId: 'getReport', tags: ['health'], summary: 'A report (declared, not written yet)', security: [],
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  }
  const specFile = join(mkdtempSync(join(tmpdir(), 'stub-spec-')), 'openapi.yaml')
  writeFileSync(specFile, stringify(spec))
  const { app } = await buildTestApp(t, { build: { specFile } })
  for (const url of ['/api/reports/42/', '/api/reports/42']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 501, url)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    t.same(res.json(), { detail: 'Not implemented: getReport' })
  }
  t.equal((await app.inject({ method: 'GET', url: '/api/health/' })).statusCode, 200, 'the implemented operations still answer')
})

t.test('unknown routes answer JSON 404 and known paths with another method answer 405 with Allow', async t => {
  const { app } = await buildTestApp(t)
  const missing = await app.inject({ method: 'GET', url: '/api/no-such-thing/' })
  t.equal(missing.statusCode, 404)
  t.same(missing.json(), { detail: 'Not found.' })
  const wrongMethod = await app.inject({ method: 'PUT', url: '/api/login/' })
  t.equal(wrongMethod.statusCode, 405)
  t.same(wrongMethod.json(), { detail: 'Method "PUT" not allowed.' })
  t.match(wrongMethod.headers.allow, /POST/)
})
