// codegen is deterministic and its --check names stale files when openapi.yaml changes without regenerating.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { parse, stringify } from 'yaml'

const run = promisify(execFile)
const tsx = join(process.cwd(), 'node_modules/.bin/tsx')

async function check(extra: string[] = []) {
  try {
    const { stdout, stderr } = await run(tsx, ['codegen/index.ts', '--check', ...extra])
    return { code: 0, output: stdout + stderr }
  } catch (err: any) {
    return { code: err.code as number, output: String(err.stdout) + String(err.stderr) }
  }
}

t.test('generated/ matches openapi.yaml', async t => {
  const result = await check()
  t.equal(result.code, 0, result.output)
  t.match(result.output, /up to date/)
})

t.test('an edited spec without regeneration is reported stale, naming the files', async t => {
  const spec = parse(readFileSync('openapi.yaml', 'utf8'))
  spec.paths['/api/codegen-probe/'] = {
    get: {
      operationId: 'codegenProbe', tags: ['health'], summary: 'probe', security: [],
      responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  }
  const file = join(mkdtempSync(join(tmpdir(), 'codegen-')), 'openapi.yaml')
  writeFileSync(file, stringify(spec))
  const result = await check(['--spec', file])
  t.not(result.code, 0)
  t.match(result.output, /stale: generated\/openapi-types\.ts/)
  t.match(result.output, /stale: generated\/routes\.ts/)
  t.match(result.output, /stale: generated\/stubs\.ts/)
})
