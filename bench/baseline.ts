// The hand-written baseline of `npm run bench`: plain fastify routes and mysql2 queries, no openapi-glue,
// no CRUD/policy/proxy engine, no Objection. It does the same work per request as the real server:
// - authentication: verify the HS256 JWT with jose, check the claims, load the user row, refuse inactive users;
// - the same SQL statements, in the same order, inside the same transaction for the write (the texts below
//   are the engine's, as `npm run bench -- --sql` prints them); the bench counts statements per request
//   for both servers, so a drift shows up in the table;
// - the same JSON answers (the bench compares the two servers' bodies before measuring);
// - the same connection settings (pool of 10, utf8mb4_unicode_ci, UTC, READ COMMITTED) and logger level.
// Usage (spawned by bench/index.ts): node --import tsx bench/baseline.ts, env DATABASE_URL SECRET_KEY PORT
// N8N_BASE_URL N8N_KB_KEY.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { jwtVerify } from 'jose'
import mysql, { type RowDataPacket } from 'mysql2/promise'
import { randomUUID } from 'node:crypto'
import { Pool } from 'undici'
import { mediaPath } from '../src/auth/tokens.js'
import { toHex, toUuid, toUuidOrNull } from '../src/db/ids.js'
import { nowDb, toApiDateTime, toApiUtcPlus0000 } from '../src/db/time.js'

const env = process.env
const db = new URL(env.DATABASE_URL!)
// Imported once, as src/auth/tokens.ts does (jose would import raw bytes again on every verify).
const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(env.SECRET_KEY!), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
const n8n = env.N8N_BASE_URL ? new Pool(env.N8N_BASE_URL, { connections: 128, keepAliveTimeout: 10_000 }) : null

const pool = mysql.createPool({
  host: db.hostname, port: Number(db.port || 3306), user: decodeURIComponent(db.username || 'root'),
  password: decodeURIComponent(db.password), database: db.pathname.slice(1),
  charset: 'utf8mb4', timezone: 'Z', dateStrings: true, supportBigNumbers: true, bigNumberStrings: false, connectionLimit: 10,
  typeCast(field, next) {
    if (field.type === 'TINY' && field.length === 1) { const v = field.string(); return v === null ? null : v !== '0' }
    return next()
  },
})
pool.pool.on('connection', (conn: any) => {
  conn.query("SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, time_zone = '+00:00'")
  conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED')
})

type Row = Record<string, any>
/** Statements sent so far (GET /__bench/statements): the bench checks both servers send the same ones per request. */
let statements = 0
const recent: string[] = [] // the last statements' texts (placeholders, not values), for the same-SQL check
function note(sql: string) {
  statements++
  recent.push(sql)
  if (recent.length > 50) recent.shift()
}
const q = async (sql: string, values: unknown[] = [], conn: { query: typeof pool.query } = pool): Promise<Row[]> => {
  note(sql)
  return (await conn.query<RowDataPacket[]>(sql, values))[0]
}

class HttpError extends Error {
  constructor(readonly status: number, readonly body: unknown) { super(String(status)) }
}
const unauthorized = () => new HttpError(401, { detail: 'Given token not valid for any token type', code: 'token_not_valid' })

// ── authentication: the same work as src/auth/authenticate.ts ────────────────────────────────────────────
async function authenticate(req: FastifyRequest): Promise<Row> {
  const header = req.headers.authorization
  const parts = typeof header === 'string' ? header.split(/\s+/).filter(Boolean) : []
  if (parts.length !== 2 || parts[0] !== 'Bearer') throw new HttpError(401, { detail: 'Authentication credentials were not provided.' })
  let claims: Record<string, unknown>
  try {
    ;({ payload: claims } = await jwtVerify(parts[1], key, { algorithms: ['HS256'], clockTolerance: 30 }))
  } catch {
    throw unauthorized()
  }
  if (claims.token_type !== 'access' || !claims.jti || !claims.exp) throw unauthorized()
  const id = toHex(claims.user_id)
  if (!id) throw unauthorized()
  const [user] = await q('select `authentication_userprofile`.* from `authentication_userprofile` where `authentication_userprofile`.`id` = ? limit 1', [id])
  if (!user || !user.is_active) throw unauthorized()
  return user
}
const isAdmin = (user: Row) => ['ADMIN', 'ADMINISTRATOR'].includes(String(user.role ?? '').trim().toUpperCase())

function pageOf(req: FastifyRequest, max: number) {
  const query = req.query as Record<string, string | undefined>
  const size = /^\d+$/.test(query.page_size ?? '') && Number(query.page_size) > 0 ? Math.min(Number(query.page_size), max) : 10
  const page = query.page === undefined ? 1 : /^\d+$/.test(query.page) ? Number(query.page) : NaN
  return { size, page }
}

/** knex's spelling: no offset on page 1. */
const limit = (page: number, size: number) => (page > 1 ? ` limit ${size} offset ${(page - 1) * size}` : ` limit ${size}`)

function envelope(req: FastifyRequest, count: number, page: number, size: number, results: unknown[]) {
  const pages = Math.max(1, Math.ceil(count / size))
  if (!(page >= 1 && page <= pages)) throw new HttpError(404, { detail: 'Invalid page.' })
  const [path, search = ''] = req.url.split('?')
  const link = (n: number) => {
    const params = new URLSearchParams(search)
    params.delete('page')
    if (n !== 1) params.set('page', String(n))
    params.sort()
    const qs = params.toString()
    return `${req.protocol}://${req.host}${path}${qs ? `?${qs}` : ''}`
  }
  return { count, next: page < pages ? link(page + 1) : null, previous: page > 1 ? link(page - 1) : null, results }
}

// ── the routes ───────────────────────────────────────────────────────────────────────────────────────────
const MEMBER_PROJECT = 'exists (select 1 from `authentication_projects_users` as `pol_1` where `pol_1`.`projects_id` = `authentication_projects`.`id` and `pol_1`.`userprofile_id` = ?)'
const MEMBER_BOT = 'exists (select 1 from `authentication_projects_bots` as `pol_1` inner join `authentication_projects_users` as `pol_2` on `pol_2`.`projects_id` = `pol_1`.`projects_id` where `pol_1`.`bots_id` = `agents`.`id` and `pol_2`.`userprofile_id` = ?)'

async function listProjects(req: FastifyRequest) {
  const user = await authenticate(req)
  const { size, page } = pageOf(req, 100)
  const where = isAdmin(user) ? '' : ` where (${MEMBER_PROJECT})`
  const args = isAdmin(user) ? [] : [user.id]
  const [{ count }] = await q(`select count(*) as \`count\` from \`authentication_projects\`${where}`, args)
  const rows = await q('select `authentication_projects`.*, (select `__r1`.`name` from `authentication_clients` as `__r1` where `__r1`.`id` = `authentication_projects`.`client_id`) as `__o1` ' +
    `from \`authentication_projects\`${where} order by \`authentication_projects\`.\`name\` asc, \`authentication_projects\`.\`id\` asc${limit(page, size)}`, args)
  return envelope(req, Number(count), page, size, rows.map(p => ({
    id: toUuid(p.id), name: p.name, client: p.__o1, client_id: toUuidOrNull(p.client_id),
    created_at: toApiDateTime(p.created_at), updated_at: toApiDateTime(p.updated_at),
  })))
}

async function getMe(req: FastifyRequest) {
  const u = await authenticate(req)
  return {
    id: toUuid(u.id), full_name: u.full_name, email: u.email, username: u.username, job_title: u.job_title,
    department: u.department, first_name: u.first_name, last_name: u.last_name, role: u.role, is_active: Boolean(u.is_active),
    active: Boolean(u.active), avatar: u.avatar ? `${req.protocol}://${req.host}${mediaPath(u.avatar)}` : null, joined_at: u.joined_at,
    is_staff: Boolean(u.is_staff), client_id: toUuidOrNull(u.client_id),
  }
}

async function listBots(req: FastifyRequest) {
  const user = await authenticate(req)
  const { size, page } = pageOf(req, 100)
  const admin = isAdmin(user)
  const where = admin ? '' : ` where (${MEMBER_BOT})`
  const args = admin ? [] : [user.id]
  const [{ count }] = await q(`select count(*) as \`count\` from \`agents\`${where}`, args)
  const bots = await q(`select \`agents\`.* from \`agents\`${where} order by \`agents\`.\`name\` asc, \`agents\`.\`id\` asc${limit(page, size)}`, args)
  const ids = bots.map(b => b.id)
  const areaIds = [...new Set(bots.map(b => b.expertise_area_id).filter(Boolean))]
  const areas = areaIds.length ? await q('select `expertise_areas`.* from `expertise_areas` where `expertise_areas`.`id` in (?) order by `expertise_areas`.`id` asc', [areaIds]) : []
  const projects = ids.length ? await q('select `authentication_projects_bots`.`bots_id` as `__owner`, `authentication_projects`.*, ' +
    '(select `__r3`.`name` from `authentication_clients` as `__r3` where `__r3`.`id` = `authentication_projects`.`client_id`) as `__o6` ' +
    'from `authentication_projects` inner join `authentication_projects_bots` on `authentication_projects_bots`.`projects_id` = `authentication_projects`.`id` ' +
    `where \`authentication_projects_bots\`.\`bots_id\` in (?)${admin ? '' : ` and (${MEMBER_PROJECT})`} order by \`authentication_projects\`.\`name\` asc, \`authentication_projects\`.\`id\` asc`,
  admin ? [ids] : [ids, user.id]) : []
  const sessions = ids.length ? await q('select `authentication_chatsession`.* from `authentication_chatsession` where `authentication_chatsession`.`agent_id` in (?) ' +
    'and (`authentication_chatsession`.`user_id` = ?) order by `authentication_chatsession`.`id` asc', [ids, user.id]) : []
  const areaById = new Map(areas.map(a => [a.id, { id: toUuid(a.id), name: a.name, description: a.description }]))
  return envelope(req, Number(count), page, size, bots.map(b => ({
    id: toUuid(b.id), name: b.name, description: b.description, url_n8n: b.url_n8n,
    expertise_area: areaById.get(b.expertise_area_id) ?? null,
    projects: projects.filter(p => p.__owner === b.id).map(p => ({
      id: toUuid(p.id), name: p.name, client: p.__o6, created_at: toApiDateTime(p.created_at), updated_at: toApiDateTime(p.updated_at),
    })),
    chat_sessions: sessions.filter(s => s.agent_id === b.id).map(s => ({
      id: toUuid(s.id), session_key: s.session_key, agent_id: toUuid(s.agent_id), user_id: toUuid(s.user_id), data: s.data,
      created_at: toApiUtcPlus0000(s.created_at),
    })),
  })))
}

async function createChatSession(req: FastifyRequest, reply: FastifyReply) {
  const user = await authenticate(req)
  const body = (req.body ?? {}) as Record<string, unknown>
  if (!body.session_key || !body.agent_id) throw new HttpError(400, { detail: 'session_key and agent_id are required.' })
  const agent = toHex(body.agent_id)
  const sessionKey = String(body.session_key)
  if (!agent) throw new HttpError(400, { agent_id: [`“${body.agent_id}” is not a valid UUID.`] })
  if (sessionKey.length > 191) throw new HttpError(400, { session_key: ['Ensure this field has no more than 191 characters.'] })
  // One insert, so no transaction (like the server).
  const admin = isAdmin(user)
  const [bot] = await q(`select \`agents\`.\`id\` from \`agents\` where ${admin ? '' : `(${MEMBER_BOT}) and `}\`agents\`.\`id\` = ? limit 1`, admin ? [agent] : [user.id, agent])
  if (!bot) throw new HttpError(400, { detail: 'Agent not found.' })
  const [dup] = await q('select `authentication_chatsession`.`id` from `authentication_chatsession` where `authentication_chatsession`.`user_id` = ? ' +
    'and `authentication_chatsession`.`agent_id` = ? and `authentication_chatsession`.`session_key` = ? limit 1', [user.id, agent, sessionKey])
  if (dup) throw new HttpError(400, { status: 'error', details: 'Chat session already exists.' })
  if (!admin) {
    const [may] = await q('select case when exists (select 1 from `authentication_projects_bots` as `pol_1` inner join `authentication_projects_users` as `pol_2` ' +
      'on `pol_2`.`projects_id` = `pol_1`.`projects_id` where `pol_1`.`bots_id` = ? and `pol_2`.`userprofile_id` = ?) then 1 else 0 end as `c0`', [agent, user.id])
    if (Number(may.c0) !== 1) throw new HttpError(403, { detail: 'You do not have permission to perform this action.' })
  }
  const id = randomUUID().replaceAll('-', '')
  const data = body.first_message === undefined ? null : body.first_message
  await q('insert into `authentication_chatsession` (`agent_id`, `created_at`, `data`, `id`, `session_key`, `updated_at`, `user_id`) values (?, ?, ?, ?, ?, ?, ?)',
    [agent, nowDb(), data, id, sessionKey, null, user.id])
  const [row] = await q('select `authentication_chatsession`.* from `authentication_chatsession` where `authentication_chatsession`.`id` = ? limit 1', [id])
  reply.code(201)
  return { session_key: row.session_key, user: toUuid(row.user_id), agent: toUuid(row.agent_id), data: row.data, created_at: toApiDateTime(row.created_at) }
}

async function getKnowledgeBase(req: FastifyRequest, reply: FastifyReply) {
  const user = await authenticate(req)
  const hash = (req.query as Record<string, string | undefined>).hash_id ?? ''
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(hash)) throw new HttpError(400, { hash_id: ['Invalid hash_id.'] })
  if (!isAdmin(user)) {
    const rows = await q('select `l`.`external_id` from `kb_links` as `l` inner join `authentication_projects_users` as `pu` on `pu`.`projects_id` = `l`.`project_id` ' +
      'where `l`.`external_id` = ? and `pu`.`userprofile_id` = ?', [hash, user.id])
    if (!rows.some(r => r.external_id === hash)) throw new HttpError(403, { detail: 'You do not have access to this knowledge base.' })
  }
  if (!n8n) throw new HttpError(503, { detail: 'n8n configuration missing (N8N_BASE_URL/N8N_KB_KEY).' })
  const res = await n8n.request({
    path: '/webhook/kb/get/', method: 'GET', reset: false, headersTimeout: 16_000, bodyTimeout: 16_000,
    headers: { key: env.N8N_KB_KEY!, accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({ hash_id: hash }),
  })
  const json = await res.body.json().catch(() => undefined) as Record<string, unknown> | undefined
  if (res.statusCode >= 300 || !json || json.status === 'error') throw new HttpError(502, { detail: 'Error calling external service.' })
  reply.code(res.statusCode)
  return json
}

// ── server ───────────────────────────────────────────────────────────────────────────────────────────────
const app = Fastify({ logger: { level: env.LOG_LEVEL ?? 'warn' }, routerOptions: { ignoreTrailingSlash: true } })
app.setErrorHandler((err, _req, reply) => {
  if (err instanceof HttpError) return reply.code(err.status).send(err.body)
  reply.log.error(err)
  return reply.code(500).send({ detail: 'A server error occurred.' })
})
app.get('/api/health/', async () => ({ status: 'ok' }))
app.get('/__bench/statements', async () => ({ statements, recent }))
app.get('/api/projects/', listProjects)
app.get('/api/me/', getMe)
app.get('/api/bots/', listBots)
app.post('/api/chat-session/', createChatSession)
app.get('/api/kb/get/', getKnowledgeBase)

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close().then(() => pool.end()).then(() => n8n?.close()).finally(() => process.exit(0)))
}
await app.listen({ host: '127.0.0.1', port: Number(env.PORT) })
