// .env.example documents every variable src/config.ts accepts, and its commented defaults are the real ones.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { loadConfig } from '../../src/config.js'

const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8')
const set: Record<string, string> = {}
const commented: Record<string, string> = {}
for (const line of text.split('\n')) {
  const active = /^([A-Z_0-9]+)=(.*)$/.exec(line)
  if (active) set[active[1]] = active[2]
  const shown = /^# ([A-Z_0-9]+)=(.*)$/.exec(line)
  if (shown) commented[shown[1]] = shown[2]
}
// Examples rather than defaults (unset by default), and a Node variable config.ts does not read.
const EXAMPLES = new Set(['ADMIN_EMAIL', 'ADMIN_PASSWORD', 'UV_THREADPOOL_SIZE'])

t.test('every variable of the configuration schema is documented', async t => {
  const source = readFileSync(new URL('../../src/config.ts', import.meta.url), 'utf8')
  const schema = source.slice(source.indexOf('const EnvSchema'), source.indexOf('type Env ='))
  const names = [...schema.matchAll(/^ {2}([A-Z][A-Z_0-9]+): Type\./gm)].map(m => m[1])
  t.ok(names.length > 30, `${names.length} variables in the schema`)
  t.same(names.filter(n => !(n in set) && !(n in commented)), [], 'none undocumented')
})

t.test('the example loads, and its commented values are the defaults', async t => {
  const plain = loadConfig(set, () => {})
  const defaults = Object.fromEntries(Object.entries(commented).filter(([k, v]) => v !== '' && !EXAMPLES.has(k)))
  t.same(loadConfig({ ...set, ...defaults }, () => {}), plain)
})
