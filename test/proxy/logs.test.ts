// The n8n key never appears in a log line, whatever happens upstream; n8n refusing the key is logged (DECISIONS 24).
import { spawnSync } from 'node:child_process'
import t from 'tap'

t.test('logs of successes and every failure mode carry neither the key nor the upstream address', async t => {
  const key = 'KEY-must-never-be-logged-7f3a'
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/proxy/log-probe.ts', key], { encoding: 'utf8', timeout: 60_000 })
  t.equal(run.status, 0, run.stderr)
  const lines = run.stdout.split('\n').filter(Boolean).map(l => JSON.parse(l))
  t.ok(lines.length > 10, `${lines.length} log lines`)
  t.notMatch(run.stdout + run.stderr, key, 'the key is in no log line')
  t.notMatch(run.stdout, /127\.0\.0\.1:\d{4,}/, 'no upstream host:port')
  const messages = lines.map(l => l.msg)
  t.ok(messages.includes('n8n refused the request (check N8N_KB_KEY)'), 'n8n 403 logged as our misconfiguration')
  t.ok(messages.includes('n8n did not answer within the deadline'))
  t.ok(messages.includes('n8n answered a non-JSON body'))
  t.ok(lines.some(l => l.msg === 'n8n call failed' && typeof l.code === 'string'), 'transport failures logged with an error code')
})
