// npm run policy -- check [--dir policies]
// npm run policy -- explain --as <email|anonymous> <action> <Subject> [id]
// Validates the policy files, or explains one decision: the deciding rule (file:line, id) and the
// SQL condition a list would use. Reads DATABASE_URL (default sqlite:./data/enlaight.sqlite3); never writes.
import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { resolve } from 'node:path'
import { createKnex } from '../db/connection.js'
import { toHex } from '../db/ids.js'
import { PolicyError, checkRoutePolicies, loadPolicies, type Explanation, type PolicySet } from '../engine/policy/index.js'
import { bindModels, models } from '../models/index.js'

const USAGE = `usage:
  npm run policy -- check [--dir <policies dir>]
  npm run policy -- explain --as <email|anonymous> <action> <Subject> [id] [--dir <policies dir>]`

interface Args { command: string, as?: string, dir: string, positional: string[] }

function parseArgs(argv: string[]): Args {
  const args: Args = { command: argv[0] ?? '', dir: 'policies', positional: [] }
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--as') args.as = argv[++i]
    else if (a.startsWith('--as=')) args.as = a.slice(5)
    else if (a === '--dir') args.dir = argv[++i]
    else if (a.startsWith('--dir=')) args.dir = a.slice(6)
    else args.positional.push(a)
  }
  return args
}

async function check(dir: string): Promise<number> {
  const policies = loadPolicies(dir, models)
  const files = new Set(policies.rules.map((r) => r.file))
  const problems: string[] = []
  const routesFile = resolve('generated/routes.ts')
  if (existsSync(routesFile)) {
    const { routes } = await import(pathToFileURL(routesFile).href)
    problems.push(...checkRoutePolicies(policies, routes))
  }
  if (problems.length) {
    console.error(`x-policy problems in openapi.yaml:\n  ${problems.join('\n  ')}`)
    return 1
  }
  console.log(`policies OK: ${policies.rules.length} rules in ${files.size} files (${dir}), roles ${[...Object.keys(policies.roles.roles), policies.roles.anonymous].join(', ')}`)
  return 0
}

async function explain(args: Args): Promise<number> {
  const [action, subject, rawId] = args.positional
  if (!args.as || !action || !subject) {
    console.error(USAGE)
    return 2
  }
  const knex = createKnex(process.env.DATABASE_URL ?? 'sqlite:./data/enlaight.sqlite3')
  try {
    const bound = bindModels(knex)
    const policies = loadPolicies(args.dir, bound)
    if (!policies.schema.has(subject)) {
      console.error(`unknown subject ${subject} (models: ${[...policies.schema.keys()].join(', ')})`)
      return 2
    }
    let user = null
    if (args.as.toLowerCase() !== 'anonymous') {
      user = await bound.User.query().whereRaw('lower(email) = ?', [args.as.toLowerCase()]).first()
      if (!user) {
        console.error(`no user with e-mail ${args.as}`)
        return 2
      }
    }
    const id = rawId === undefined ? undefined : normaliseId(policies, subject, rawId)
    const result = await policies.explain(user, action, subject, id)
    print(result, user ? `${user.email} (stored role ${JSON.stringify(user.role)})` : 'anonymous')
    return 0
  } finally {
    await knex.destroy()
  }
}

function normaliseId(policies: PolicySet, subject: string, raw: string): string | number {
  const info = policies.model(subject)
  const uuidColumns = ((info.modelClass as any).columns?.uuid as string[] | undefined) ?? []
  if (uuidColumns.includes(info.idColumn)) return toHex(raw) ?? raw
  return /^\d+$/.test(raw) ? Number(raw) : raw
}

function print(r: Explanation, who: string) {
  const target = r.id === undefined ? `any ${r.subject}` : `${r.subject} ${r.id}${r.rowExists ? '' : ' (no such row)'}`
  console.log(`decision: ${r.decision.toUpperCase()}  ${r.action} ${target}`)
  console.log(`as:       ${who} -> role ${r.role}`)
  if (r.rule) {
    console.log(`rule:     ${r.rule.file}:${r.rule.line} ${r.rule.id}${r.rule.inverted ? ' (inverted: refuses)' : ''}${r.rule.reason ? ` — ${r.rule.reason}` : ''}`)
  } else {
    console.log(`rule:     none — no rule of role ${r.role} ${r.id === undefined ? 'allows' : 'matches'} ${r.action} ${r.subject} (default deny)`)
  }
  if (r.considered.length) {
    console.log('rules considered (priority order):')
    for (const c of r.considered) {
      const m = c.matched === null ? '' : c.matched ? '  matched' : '  no match'
      console.log(`  ${c.inverted ? 'deny ' : 'allow'} ${c.id} (${c.file}:${c.line})${m}`)
    }
  }
  console.log('list SQL:')
  console.log(`  ${r.sql.text}`)
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv)
  try {
    if (args.command === 'check') return await check(args.dir)
    if (args.command === 'explain') return await explain(args)
    console.error(USAGE)
    return 2
  } catch (err) {
    if (err instanceof PolicyError) {
      console.error(err.message)
      return 1
    }
    throw err
  }
}

process.exitCode = await main(process.argv.slice(2))
