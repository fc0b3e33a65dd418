// Reads policies/*.yaml and validates every rule against the models, so a typo stops start-up with
// the file, line and rule id instead of silently granting or refusing access.
import { readdirSync, readFileSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml'
import { resolvePath, type ModelInfo, type Schema } from './schema.js'
import { didYouMean } from './suggest.js'

export const ROLES_FILE = 'roles.yaml'
/** Operators the SQL compiler translates (src/engine/policy/compile.ts). */
export const OPERATORS = ['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$exists', '$elemMatch'] as const
const RULE_KEYS = ['id', 'action', 'subject', 'fields', 'conditions', 'inverted', 'reason', 'roles']
const FILE_KEYS = ['roles', 'rules']
const PLACEHOLDER = /\$\{([^}]*)\}/g

export interface LoadedRule {
  id: string
  /** Path as given to the loader, e.g. policies/membership.yaml. */
  file: string
  line: number
  roles: string[]
  action: string[]
  subject: string[]
  fields?: string[]
  conditions?: Record<string, unknown>
  inverted: boolean
  reason?: string
  /** User columns the conditions interpolate (`${user.<col>}`). */
  placeholders: string[]
}

export interface RolesConfig {
  file: string
  /** Policy role -> stored `role` values that mean it. */
  roles: Record<string, string[]>
  unknown: string
  anonymous: string
  caseInsensitive: boolean
  actions: string[]
}

export interface PolicyProblem { file: string, line: number, ruleId: string | null, message: string }

export class PolicyError extends Error {
  readonly problems: PolicyProblem[]
  readonly file: string
  readonly line: number
  readonly ruleId: string | null

  constructor(problems: PolicyProblem[]) {
    const lines = problems.map(formatProblem)
    super(problems.length === 1 ? lines[0] : `${problems.length} policy errors:\n  ${lines.join('\n  ')}`)
    this.name = 'PolicyError'
    this.problems = problems
    this.file = problems[0].file
    this.line = problems[0].line
    this.ruleId = problems[0].ruleId
  }
}

export function formatProblem(p: PolicyProblem): string {
  return `${p.file}:${p.line}${p.ruleId ? ` rule "${p.ruleId}"` : ''}: ${p.message}`
}

interface Located { file: string, doc: { contents: YamlNode | null }, lines: LineCounter }

function lineOf(loc: Located, node: YamlNode | null | undefined): number {
  const offset = node?.range?.[0]
  return offset === undefined ? 1 : loc.lines.linePos(offset).line
}

/** The YAML node at a key path (the key node for the last map segment, so the line is the key's). */
function nodeAt(root: YamlNode | null | undefined, path: Array<string | number>): YamlNode | null {
  let node: unknown = root
  let found: YamlNode | null = (root as YamlNode) ?? null
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg))
      if (!pair) return found
      found = (pair.key as YamlNode) ?? found
      node = pair.value
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg]
      found = (node as YamlNode) ?? found
    } else return found
  }
  return found
}

function readYaml(path: string, display: string, problems: PolicyProblem[]): (Located & { data: unknown }) | null {
  const lines = new LineCounter()
  const doc = parseDocument(readFileSync(path, 'utf8'), { lineCounter: lines, uniqueKeys: true })
  if (doc.errors.length) {
    for (const e of doc.errors) problems.push({ file: display, line: e.linePos?.[0]?.line ?? 1, ruleId: null, message: `YAML: ${e.message.split('\n')[0]}` })
    return null
  }
  return { file: display, doc: doc as any, lines, data: doc.toJS() }
}

function listOfStrings(value: unknown): string[] | null {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value
  return null
}

function loadRolesConfig(dir: string, display: string, problems: PolicyProblem[]): RolesConfig | null {
  let files: string[]
  try {
    files = readdirSync(dir)
  } catch {
    problems.push({ file: display, line: 1, ruleId: null, message: 'policy directory not found' })
    return null
  }
  const name = join(display, ROLES_FILE)
  if (!files.includes(ROLES_FILE)) {
    problems.push({ file: name, line: 1, ruleId: null, message: 'missing: it maps stored role values to policy roles and lists the actions' })
    return null
  }
  const y = readYaml(join(dir, ROLES_FILE), name, problems)
  if (!y) return null
  const data = y.data as Record<string, unknown>
  const at = (...path: string[]) => lineOf(y, nodeAt(y.doc.contents, path))
  const bad = (message: string, ...path: string[]) => { problems.push({ file: name, line: at(...path), ruleId: null, message }); return null }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return bad('expected a mapping with roles, unknown, anonymous, actions')
  for (const key of Object.keys(data)) {
    if (!['roles', 'unknown', 'anonymous', 'caseInsensitive', 'actions'].includes(key)) {
      bad(`unknown key "${key}"${didYouMean(key, ['roles', 'unknown', 'anonymous', 'caseInsensitive', 'actions'])}`, key)
    }
  }
  const roles: Record<string, string[]> = {}
  const rawRoles = data.roles as Record<string, unknown> | undefined
  if (!rawRoles || typeof rawRoles !== 'object' || Array.isArray(rawRoles)) return bad('"roles" must map each policy role to the stored values that mean it', 'roles')
  for (const [role, values] of Object.entries(rawRoles)) {
    const list = listOfStrings(values)
    if (!list) bad(`role ${role}: expected a list of stored role values`, 'roles', role)
    else roles[role] = list
  }
  const anonymous = typeof data.anonymous === 'string' ? data.anonymous : 'ANONYMOUS'
  const unknown = typeof data.unknown === 'string' ? data.unknown : ''
  if (!(unknown in roles)) bad(`"unknown" must name one of the roles (${Object.keys(roles).join(', ')})${didYouMean(unknown, Object.keys(roles))}`, 'unknown')
  if (anonymous in roles) bad(`"anonymous" (${anonymous}) must not be one of the stored-value roles`, 'anonymous')
  const actions = listOfStrings(data.actions)
  if (!actions) return bad('"actions" must list the allowed action names', 'actions')
  if (!actions.includes('manage')) actions.push('manage')
  return { file: name, roles, unknown, anonymous, caseInsensitive: data.caseInsensitive !== false, actions }
}

/** Loads and validates every policy file of `dir`. Collects all problems, then throws one PolicyError. */
export function loadRules(dir: string, schema: Schema, display = displayName(dir)): { rules: LoadedRule[], roles: RolesConfig } {
  const problems: PolicyProblem[] = []
  const roles = loadRolesConfig(dir, display, problems)
  const rules: LoadedRule[] = []
  if (roles) {
    const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== ROLES_FILE).sort()
    for (const f of files) loadFile(join(dir, f), join(display, f), schema, roles, rules, problems)
    const seen = new Map<string, LoadedRule>()
    for (const r of rules) {
      const first = seen.get(r.id)
      if (first) problems.push({ file: r.file, line: r.line, ruleId: r.id, message: `duplicate rule id (first defined at ${first.file}:${first.line})` })
      else seen.set(r.id, r)
    }
  }
  if (problems.length) throw new PolicyError(problems)
  return { rules, roles: roles! }
}

function loadFile(path: string, display: string, schema: Schema, config: RolesConfig, out: LoadedRule[], problems: PolicyProblem[]) {
  const y = readYaml(path, display, problems)
  if (!y) return
  const allRoles = [...Object.keys(config.roles), config.anonymous]
  let fileRoles: string[] | undefined
  let list: unknown[]
  let listPath: string[] = []
  const data = y.data
  if (data === null || data === undefined) return
  if (Array.isArray(data)) list = data
  else if (typeof data === 'object') {
    const d = data as Record<string, unknown>
    for (const key of Object.keys(d)) {
      if (!FILE_KEYS.includes(key)) problems.push({ file: display, line: lineOf(y, nodeAt(y.doc.contents, [key])), ruleId: null, message: `unknown key "${key}"${didYouMean(key, FILE_KEYS)}` })
    }
    if (d.roles !== undefined) {
      fileRoles = listOfStrings(d.roles) ?? undefined
      const line = lineOf(y, nodeAt(y.doc.contents, ['roles']))
      if (!fileRoles) problems.push({ file: display, line, ruleId: null, message: '"roles" must be a role name or a list of them' })
      else for (const r of fileRoles) if (!allRoles.includes(r)) problems.push({ file: display, line, ruleId: null, message: `unknown role "${r}"${didYouMean(r, allRoles)}` })
    }
    if (!Array.isArray(d.rules)) {
      problems.push({ file: display, line: 1, ruleId: null, message: 'expected "rules:" with a list of rules (or a plain list of rules)' })
      return
    }
    list = d.rules
    listPath = ['rules']
  } else {
    problems.push({ file: display, line: 1, ruleId: null, message: 'expected a list of rules or a mapping with "rules"' })
    return
  }

  list.forEach((raw, index) => {
    const ruleNode = nodeAt(y.doc.contents, [...listPath, index])
    const at = (...path: Array<string | number>) => lineOf(y, path.length ? nodeAt(ruleNode, path) : ruleNode)
    const line = at()
    const before = problems.length
    const id = raw && typeof raw === 'object' && typeof (raw as any).id === 'string' ? (raw as any).id as string : null
    const bad = (message: string, ...path: Array<string | number>) => { problems.push({ file: display, line: at(...path), ruleId: id, message }) }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return bad('a rule must be a mapping')
    const r = raw as Record<string, unknown>
    for (const key of Object.keys(r)) if (!RULE_KEYS.includes(key)) bad(`unknown key "${key}"${didYouMean(key, RULE_KEYS)}`, key)
    if (!id) bad('missing "id" (a unique name shown by explain)')
    else if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/.test(id)) bad(`id "${id}": use letters, digits, - _ . :`, 'id')

    const actions = listOfStrings(r.action)
    if (!actions) bad('"action" must be an action name or a list of them', 'action')
    else for (const a of actions) if (!config.actions.includes(a)) bad(`unknown action "${a}"${didYouMean(a, config.actions)} (actions are listed in ${config.file})`, 'action')

    const subjects = listOfStrings(r.subject)
    const models: ModelInfo[] = []
    if (!subjects) bad('"subject" must be a model name or a list of them', 'subject')
    else for (const s of subjects) {
      if (s === 'all') continue
      const m = schema.get(s)
      if (!m) bad(`unknown subject "${s}"${didYouMean(s, schema.keys())} (subjects are model names)`, 'subject')
      else models.push(m)
    }

    let fields: string[] | undefined
    if (r.fields !== undefined) {
      fields = listOfStrings(r.fields) ?? undefined
      if (!fields) bad('"fields" must be a column name or a list of them', 'fields')
      else for (const f of fields) for (const m of models) {
        if (!m.columns.includes(f)) bad(`unknown field "${f}" on ${m.name}${didYouMean(f, m.columns)}`, 'fields')
      }
    }

    const ruleRoles = r.roles === undefined ? fileRoles : listOfStrings(r.roles) ?? undefined
    if (r.roles !== undefined && !listOfStrings(r.roles)) bad('"roles" must be a role name or a list of them', 'roles')
    else if (!ruleRoles) bad(`no roles: give "roles:" on the rule or at the top of the file (${allRoles.join(', ')})`)
    else if (r.roles !== undefined) for (const role of ruleRoles) if (!allRoles.includes(role)) bad(`unknown role "${role}"${didYouMean(role, allRoles)}`, 'roles')

    if (r.inverted !== undefined && typeof r.inverted !== 'boolean') bad('"inverted" must be true or false', 'inverted')
    if (r.reason !== undefined && typeof r.reason !== 'string') bad('"reason" must be a string', 'reason')

    const placeholders = new Set<string>()
    let conditions: Record<string, unknown> | undefined
    if (r.conditions !== undefined && r.conditions !== null) {
      if (typeof r.conditions !== 'object' || Array.isArray(r.conditions)) bad('"conditions" must be a mapping of field paths to values', 'conditions')
      else {
        conditions = r.conditions as Record<string, unknown>
        if (subjects?.includes('all')) bad('conditions need concrete subjects, not "all"', 'conditions')
        const userColumns = schema.get('User')?.columns ?? ['id', 'role', 'client_id']
        for (const m of models) {
          checkConditions(conditions, m, schema, userColumns, placeholders, (message, path) => bad(message, 'conditions', ...path), [])
        }
        if (placeholders.size && ruleRoles?.includes(config.anonymous)) {
          bad(`uses \${user.…} placeholders but applies to ${config.anonymous} (no user)`, 'conditions')
        }
      }
    }
    if (problems.length > before) return
    out.push({
      id: id!, file: display, line, roles: ruleRoles!, action: actions!, subject: subjects!,
      ...(fields ? { fields } : {}), ...(conditions ? { conditions } : {}),
      inverted: r.inverted === true, ...(typeof r.reason === 'string' ? { reason: r.reason } : {}),
      placeholders: [...placeholders],
    })
  })
}

/** 'policies' for ./policies; the directory's own name when it lies outside the working directory. */
function displayName(dir: string): string {
  const rel = relative(process.cwd(), dir)
  return rel && !rel.startsWith('..') ? rel : basename(dir)
}

type Report = (message: string, path: string[]) => void

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v)

/** Validates Mongo-style conditions for `model` (also used for declared list filters). */
export function checkConditions(
  conditions: Record<string, unknown>, model: ModelInfo, schema: Schema, userColumns: string[],
  placeholders: Set<string>, report: Report, prefix: string[],
): void {
  for (const [key, value] of Object.entries(conditions)) {
    const path = [...prefix, key]
    if (key.startsWith('$')) {
      report(`operator "${key}" is not supported here: the keys of one rule are ANDed and separate rules are ORed, so write one rule per alternative`, path)
      continue
    }
    const resolved = resolvePath(schema, model, key)
    if ('error' in resolved) {
      const segments = key.split('.')
      const candidates = [...resolved.model.relations.keys(), ...resolved.model.columns]
      const best = didYouMean(segments[resolved.at], candidates)
        .replace(/"([^"]+)"/g, (_, c) => `"${[...segments.slice(0, resolved.at), c, ...segments.slice(resolved.at + 1)].join('.')}"`)
      report(`${resolved.error} in "${key}"${best}`, path)
      continue
    }
    const endsAtRelation = resolved.column === ''
    const lastHop = resolved.hops[resolved.hops.length - 1]
    let ops: Record<string, unknown>
    if (isPlainObject(value)) {
      const keys = Object.keys(value)
      if (keys.length === 0 || keys.some((k) => !k.startsWith('$'))) {
        report(`"${key}": nested objects are not supported; write the path with dots ("${key}.${keys.find((k) => !k.startsWith('$')) ?? 'id'}": value) or use operators (${OPERATORS.join(' ')})`, path)
        continue
      }
      ops = value
    } else {
      ops = { $eq: value }
    }
    for (const [op, operand] of Object.entries(ops)) {
      const opPath = isPlainObject(value) ? [...path, op] : path
      if (!(OPERATORS as readonly string[]).includes(op)) {
        report(`unsupported operator "${op}" in "${key}"${didYouMean(op, OPERATORS)} (supported: ${OPERATORS.join(' ')})`, opPath)
        continue
      }
      if (endsAtRelation && op !== '$exists' && op !== '$elemMatch') {
        report(`"${key}" is a relation (to ${resolved.model.name}); compare one of its columns ("${key}.${resolved.model.idColumn}") or use $exists / $elemMatch`, opPath)
        continue
      }
      if (op === '$elemMatch') {
        if (!endsAtRelation || !lastHop?.toMany) { report(`$elemMatch needs a to-many relation; "${key}" is not one`, opPath); continue }
        if (!isPlainObject(operand)) { report('$elemMatch needs a mapping of conditions', opPath); continue }
        checkConditions(operand, resolved.model, schema, userColumns, placeholders, report, opPath)
        continue
      }
      if (op === '$exists') {
        if (typeof operand !== 'boolean') report('$exists needs true or false', opPath)
        continue
      }
      if (op === '$in' || op === '$nin') {
        if (!Array.isArray(operand)) { report(`${op} needs a list`, opPath); continue }
        operand.forEach((v) => checkScalar(v, op, userColumns, placeholders, report, opPath))
        continue
      }
      if (['$gt', '$gte', '$lt', '$lte'].includes(op) && operand === null) { report(`${op} cannot compare with null`, opPath); continue }
      checkScalar(operand, op, userColumns, placeholders, report, opPath)
    }
  }
}

function checkScalar(v: unknown, op: string, userColumns: string[], placeholders: Set<string>, report: Report, path: string[]) {
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return
  if (typeof v !== 'string') { report(`${op} needs a string, number, boolean or null, not ${Array.isArray(v) ? 'a list' : typeof v}`, path); return }
  for (const m of v.matchAll(PLACEHOLDER)) {
    const name = m[1].trim()
    const col = name.startsWith('user.') ? name.slice(5) : null
    if (col === null || !userColumns.includes(col)) {
      const cands = userColumns.map((c) => `user.${c}`)
      report(`unknown placeholder "\${${name}}"${didYouMean(name, cands)} (placeholders are \${user.<User column>})`, path)
    } else placeholders.add(col)
  }
}
