// Drop-in: the server started on a database the original Django backend made adopts it without loss.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { spawn } from 'node:child_process'
import t from 'tap'
import knexFactory from 'knex'
import { startServer } from '../helpers/server.js'

const FIXTURE = '../shared/fixtures/original-mysql.sql'
const mysqlServer = (() => {
  const url = process.env.DATABASE_URL?.startsWith('mysql://') ? new URL(process.env.DATABASE_URL) : new URL('mysql://root@127.0.0.1:3306/')
  return { host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username || 'root'), password: decodeURIComponent(url.password) }
})()

function mysqlReachable(): boolean {
  try {
    execFileSync('mysqladmin', ['-h', mysqlServer.host, '-P', String(mysqlServer.port), '-u', mysqlServer.user, 'ping'], {
      stdio: 'ignore', env: { ...process.env, MYSQL_PWD: mysqlServer.password },
    })
    return true
  } catch { return false }
}

async function loadFixture(database: string) {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('mysql', ['-h', mysqlServer.host, '-P', String(mysqlServer.port), '-u', mysqlServer.user, database], {
      stdio: ['pipe', 'ignore', 'inherit'], env: { ...process.env, MYSQL_PWD: mysqlServer.password },
    })
    createReadStream(FIXTURE).pipe(child.stdin!)
    child.on('exit', code => code === 0 ? resolve() : reject(new Error(`mysql exited ${code}`)))
  })
}

// COLUMN_KEY is left out: the additive indexes turn two columns' key marker into MUL; definitions never change.
const COLUMNS_SQL = `SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, COLUMN_TYPE, COLLATION_NAME, EXTRA
  FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`

t.test('a database made by the original backend', { skip: mysqlReachable() ? false : 'no MySQL/MariaDB server reachable' }, async t => {
  const database = `enl_dropin_${randomBytes(3).toString('hex')}`
  const admin = knexFactory({ client: 'mysql2', connection: mysqlServer, pool: { min: 0, max: 1 } })
  await admin.raw(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  t.teardown(async () => {
    await admin.raw(`DROP DATABASE IF EXISTS \`${database}\``)
    await admin.destroy()
  })
  await loadFixture(database)
  const [before] = await admin.raw(COLUMNS_SQL, [database])
  const originalTables = new Set((before as any[]).map(c => c.TABLE_NAME))

  const auth = mysqlServer.password ? `${encodeURIComponent(mysqlServer.user)}:${encodeURIComponent(mysqlServer.password)}` : encodeURIComponent(mysqlServer.user)
  const server = await startServer({
    DATABASE_URL: `mysql://${auth}@${mysqlServer.host}:${mysqlServer.port}/${database}`,
    SECRET_KEY: 'dropin-test-secret-key-0123456789',
    RATE_LIMIT: 'off',
  })
  t.teardown(() => server.stop())

  const login = async (email: string, password: string) => {
    const res = await fetch(`${server.url}/api/login/`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
    })
    return { status: res.status, body: await res.json() as any }
  }

  for (const [email, password] of [
    ['admin@localhost.ai', 'admin1234'],
    ['member@example.com', 'Member-pass-2026'],
    ['legacy@example.com', 'Legacy-pass-600k'],
  ]) {
    const res = await login(email, password)
    t.equal(res.status, 200, `${email} logs in with the password the original stored`)
    t.type(res.body.access, 'string')
  }
  const [legacyRow] = await admin(`${database}.authentication_userprofile`).where({ email: 'legacy@example.com' }).select('password')
  t.match(legacyRow.password, /^pbkdf2_sha256\$1000000\$/, 'the 600,000-iteration hash was re-hashed at 1,000,000 on login')
  t.equal((await login('legacy@example.com', 'Legacy-pass-600k')).status, 200, 'and still verifies afterwards')

  const member = await login('member@example.com', 'Member-pass-2026')
  const projects = await fetch(`${server.url}/api/projects/`, { headers: { authorization: `Bearer ${member.body.access}` } })
  t.equal(projects.status, 200)
  const page = await projects.json() as any
  t.same(page.results.map((p: any) => p.name), ['Fixture Project'], 'the member sees exactly its project')

  const [after] = await admin.raw(COLUMNS_SQL, [database])
  const originalAfter = (after as any[]).filter(c => originalTables.has(c.TABLE_NAME))
  t.same(originalAfter, before, 'no column of the original tables changed')
})
