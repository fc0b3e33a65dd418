// Start-up validation: a bad rule stops loading with a message naming the file, line and rule id,
// with a "did you mean" where one is close. Also `npm run policy -- check`.
import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { PolicyError, loadPolicies } from '../../src/engine/policy/index.js'
import { models } from '../../src/models/index.js'

const run = promisify(execFile)
const root = mkdtempSync(join(tmpdir(), 'policy-validation-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))

let n = 0
/** A policies directory with the real roles.yaml plus the given files. */
function policyDir(files: Record<string, string>): string {
  const dir = join(root, `case${++n}`, 'policies')
  mkdirSync(dir, { recursive: true })
  copyFileSync('policies/roles.yaml', join(dir, 'roles.yaml'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

function loadError(files: Record<string, string>): PolicyError {
  try {
    loadPolicies(policyDir(files), models)
  } catch (err) {
    if (err instanceof PolicyError) return err
    throw err
  }
  throw new Error('expected a PolicyError')
}

const rule = (body: string) => `roles: [USER]\nrules:\n  - id: r1\n${body}`

t.test('the shipped policies load', async (t) => {
  const policies = loadPolicies('policies', models)
  t.ok(policies.rules.length >= 15)
  t.ok(policies.rules.every((r) => r.file.startsWith('policies/') && r.line > 0))
})

const cases: Array<[string, Record<string, string>, string]> = [
  ['unknown subject', { 'bad.yaml': rule('    action: read\n    subject: Projet\n') },
    'policies/bad.yaml:5 rule "r1": unknown subject "Projet" (did you mean "Project"?) (subjects are model names)'],
  ['unknown field through relations', { 'bad.yaml': rule('    action: read\n    subject: Bot\n    conditions: {projects.member.id: \'${user.id}\'}\n') },
    'policies/bad.yaml:6 rule "r1": unknown field "member" on Project in "projects.member.id" (did you mean "projects.members.id"?)'],
  ['unknown column', { 'bad.yaml': rule('    action: read\n    subject: ChatSession\n    conditions:\n      userid: \'${user.id}\'\n') },
    'policies/bad.yaml:7 rule "r1": unknown field "userid" on ChatSession in "userid" (did you mean "user_id" or "user"?)'],
  ['unknown operator', { 'bad.yaml': rule('    action: read\n    subject: Project\n    conditions:\n      name: {$nim: [a]}\n') },
    'policies/bad.yaml:7 rule "r1": unsupported operator "$nim" in "name" (did you mean "$nin" or "$in" or "$ne"?)'],
  ['operator the SQL compiler does not translate', { 'bad.yaml': rule('    action: read\n    subject: Project\n    conditions:\n      name: {$regex: "^a"}\n') },
    'rule "r1": unsupported operator "$regex" in "name"'],
  ['unknown placeholder', { 'bad.yaml': rule('    action: read\n    subject: Client\n    conditions: {id: \'${user.clientid}\'}\n') },
    'policies/bad.yaml:6 rule "r1": unknown placeholder "${user.clientid}" (did you mean "user.client_id"?)'],
  ['unknown action', { 'bad.yaml': rule('    action: raed\n    subject: Project\n') },
    'policies/bad.yaml:4 rule "r1": unknown action "raed" (did you mean "read"?) (actions are listed in policies/roles.yaml)'],
  ['unknown role on a rule', { 'bad.yaml': 'rules:\n  - id: r1\n    roles: [MANGER]\n    action: read\n    subject: Project\n' },
    'policies/bad.yaml:3 rule "r1": unknown role "MANGER" (did you mean "MANAGER"?)'],
  ['unknown rule key', { 'bad.yaml': rule('    action: read\n    subject: Project\n    condition: {name: x}\n') },
    'policies/bad.yaml:6 rule "r1": unknown key "condition" (did you mean "conditions"?)'],
  ['unknown field in fields', { 'bad.yaml': rule('    action: update\n    subject: Project\n    fields: [nmae]\n') },
    'policies/bad.yaml:6 rule "r1": unknown field "nmae" on Project (did you mean "name"?)'],
  ['top-level $or', { 'bad.yaml': rule('    action: read\n    subject: Project\n    conditions:\n      $or: [{name: a}, {name: b}]\n') },
    'policies/bad.yaml:7 rule "r1": operator "$or" is not supported here'],
  ['nested object instead of a dotted path', { 'bad.yaml': rule('    action: read\n    subject: Board\n    conditions:\n      project: {members: x}\n') },
    'rule "r1": "project": nested objects are not supported; write the path with dots ("project.members": value)'],
  ['a relation compared to a value', { 'bad.yaml': rule('    action: read\n    subject: Board\n    conditions:\n      project: abc\n') },
    'rule "r1": "project" is a relation (to Project); compare one of its columns ("project.id")'],
  ['$elemMatch on a to-one relation', { 'bad.yaml': rule('    action: read\n    subject: Board\n    conditions:\n      project: {$elemMatch: {name: a}}\n') },
    'rule "r1": $elemMatch needs a to-many relation; "project" is not one'],
  ['$in without a list', { 'bad.yaml': rule('    action: read\n    subject: Project\n    conditions: {name: {$in: a}}\n') },
    'rule "r1": $in needs a list'],
  ['placeholder on an anonymous rule', { 'bad.yaml': 'rules:\n  - id: r1\n    roles: [ANONYMOUS]\n    action: read\n    subject: Project\n    conditions: {members.id: \'${user.id}\'}\n' },
    'rule "r1": uses ${user.…} placeholders but applies to ANONYMOUS (no user)'],
  ['no roles', { 'bad.yaml': 'rules:\n  - id: r1\n    action: read\n    subject: Project\n' },
    'policies/bad.yaml:2 rule "r1": no roles: give "roles:" on the rule or at the top of the file'],
  ['missing id', { 'bad.yaml': 'roles: [USER]\nrules:\n  - action: read\n    subject: Project\n' },
    'policies/bad.yaml:3: missing "id"'],
  ['duplicate id across files', { 'a.yaml': rule('    action: read\n    subject: Project\n'), 'b.yaml': rule('    action: read\n    subject: Bot\n') },
    'policies/b.yaml:3 rule "r1": duplicate rule id (first defined at policies/a.yaml:3)'],
  ['YAML syntax error', { 'bad.yaml': 'roles: [USER]\nrules:\n  - id: r1\n    action: [read\n' },
    'policies/bad.yaml:'],
]

for (const [name, files, expected] of cases) {
  t.test(name, async (t) => {
    const err = loadError(files)
    t.ok(err.message.includes(expected), `message: ${err.message}`)
    t.ok(err.file.startsWith('policies/'), 'names the file')
    t.ok(err.line > 0, 'names the line')
  })
}

t.test('every problem is reported at once', async (t) => {
  const err = loadError({ 'bad.yaml': 'roles: [USER]\nrules:\n  - id: a\n    action: raed\n    subject: Projet\n  - id: b\n    action: read\n    subject: Bot\n    conditions: {nope: 1}\n' })
  t.equal(err.problems.length, 3)
  t.same(err.problems.map((p) => [p.ruleId, p.line]), [['a', 4], ['a', 5], ['b', 9]])
  t.match(err.message, /^3 policy errors:/)
})

t.test('roles.yaml is required and checked', async (t) => {
  const dir = policyDir({})
  writeFileSync(join(dir, 'roles.yaml'), 'roles:\n  USER: [USER]\nunknown: GEST\nactions: [read]\n')
  t.throws(() => loadPolicies(dir, models), /policies\/roles\.yaml:3: "unknown" must name one of the roles \(USER\)/)
  rmSync(join(dir, 'roles.yaml'))
  t.throws(() => loadPolicies(dir, models), /policies\/roles\.yaml:1: missing/)
})

t.test('a declared list filter is validated like a rule', async (t) => {
  const policies = loadPolicies('policies', models)
  t.throws(() => policies.checkWhere('Board', { 'project.member.id': '${user.id}' }), /did you mean "project\.members\.id"/)
  t.doesNotThrow(() => policies.checkWhere('Board', { 'project.members.id': '${user.id}' }))
})

t.test('npm run policy -- check', async (t) => {
  const ok = await run(process.execPath, ['--import', 'tsx', 'src/cli/policy.ts', 'check'])
  t.match(ok.stdout, /^policies OK: \d+ rules in \d+ files/)
  const dir = policyDir({ 'bad.yaml': rule('    action: read\n    subject: Bot\n    conditions: {projects.member.id: \'${user.id}\'}\n') })
  const bad = await run(process.execPath, ['--import', 'tsx', 'src/cli/policy.ts', 'check', '--dir', dir]).then(() => null, (e) => e)
  t.ok(bad, 'fails')
  t.equal(bad.code, 1, 'exit code 1')
  t.match(bad.stderr, 'bad.yaml:6 rule "r1": unknown field "member" on Project in "projects.member.id" (did you mean "projects.members.id"?)')
})
