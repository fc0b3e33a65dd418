// explain (API and `npm run policy -- explain`): the decision, the deciding rule with file:line, and
// the SQL condition a list would use, on a seeded database.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { loadPolicies } from '../../src/engine/policy/index.js'
import { createTestDatabase } from '../helpers/database.js'
import { seedWorld } from './world.js'

const run = promisify(execFile)
const db = await createTestDatabase()
t.teardown(() => db.destroy())
const world = await seedWorld(db.knex)
const policies = loadPolicies('policies', world.models)
const { users, bots } = world

t.test('explain names the deciding rule and agrees with canOnRow', async (t) => {
  const allowed = await policies.explain(users.userA, 'read', 'Bot', bots.botShared.id)
  t.equal(allowed.decision, 'allow')
  t.equal(allowed.role, 'USER')
  t.match(allowed.rule, { id: 'member-reads-project-bots', file: 'policies/membership.yaml', inverted: false })
  t.equal(allowed.rule!.line, policies.rules.find((r) => r.id === 'member-reads-project-bots')!.line)
  t.match(allowed.sql.text, /exists \(select 1 from `authentication_projects_bots`/)
  t.ok(allowed.sql.bindings.includes(users.userA.id), 'the caller id is a binding, not spliced')

  const refused = await policies.explain(users.userA, 'read', 'Bot', bots.botB.id)
  t.equal(refused.decision, 'deny')
  t.equal(refused.rule, null, 'no rule matched: default deny')
  t.same(refused.considered.map((c) => [c.id, c.matched]), [['member-reads-project-bots', false]])

  const noRule = await policies.explain(users.guestA, 'update', 'Board')
  t.equal(noRule.decision, 'deny')
  t.same(noRule.considered, [])
  t.match(noRule.sql.text, /where 1 = 0/)

  const missing = await policies.explain(users.admin, 'read', 'Bot', 'f'.repeat(32))
  t.same([missing.decision, missing.rowExists], ['deny', false])

  for (const [who, id] of [['userA', bots.botA.id], ['userA', bots.botB.id], ['admin', bots.botB.id], ['guestA', bots.botShared.id]] as const) {
    const e = await policies.explain(users[who], 'read', 'Bot', id)
    t.equal(e.decision === 'allow', await policies.canOnRow(users[who], 'read', 'Bot', id), `${who}: explain = canOnRow`)
  }
})

t.test('npm run policy -- explain prints the decision, the rule and the list SQL', async (t) => {
  const env = { ...process.env, DATABASE_URL: db.url }
  const explain = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/policy.ts', 'explain', ...args], { env })

  const allowed = await explain('--as', 'userA@example.com', 'read', 'Bot', bots.botShared.id)
  t.match(allowed.stdout, /^decision: ALLOW {2}read Bot [0-9a-f]{32}\n/)
  t.match(allowed.stdout, /as: {7}userA@example\.com \(stored role "USER"\) -> role USER/)
  t.match(allowed.stdout, /rule: {5}policies\/membership\.yaml:\d+ member-reads-project-bots/)
  t.match(allowed.stdout, /list SQL:\n {2}select `agents`\.\* from `agents` where \(exists/)

  // Any UUID spelling is accepted on the command line.
  const hyphenated = bots.botB.id.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5').toUpperCase()
  const refused = await explain('--as', 'userA@example.com', 'read', 'Bot', hyphenated)
  t.match(refused.stdout, /^decision: DENY {2}read Bot /)
  t.match(refused.stdout, /rule: {5}none — no rule of role USER matches read Bot \(default deny\)/)
  t.match(refused.stdout, /allow member-reads-project-bots \(policies\/membership\.yaml:\d+\) {2}no match/)

  const anonymous = await explain('--as', 'anonymous', 'read', 'Project')
  t.match(anonymous.stdout, /^decision: DENY {2}read any Project/)
  t.match(anonymous.stdout, /where 1 = 0/)

  const unknownUser = await explain('--as', 'nobody@example.com', 'read', 'Project').then(() => null, (e) => e)
  t.equal(unknownUser?.code, 2)
  t.match(unknownUser?.stderr, 'no user with e-mail nobody@example.com')
})
