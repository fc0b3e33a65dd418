// npm start: configuration, migrations, the first administrator, then listen; SIGTERM drains and exits 0.
import { buildApp } from './app.js'
import { hashPassword } from './auth/passwords.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { createKnex } from './db/connection.js'
import { migrateToLatest } from './db/migrate.js'
import { ensureAdmin } from './db/seed-admin.js'

async function start() {
  let config: Config
  try {
    config = loadConfig(process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
  const knex = createKnex(config.databaseUrl)
  const app = await buildApp({ config, knex })
  await migrateToLatest(knex, app.log)
  if (config.admin) await ensureAdmin(knex, { ...config.admin, hashPassword }, app.log)

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down: draining in-flight requests')
    await app.close()
    await knex.destroy()
    process.exit(0)
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  process.once('SIGINT', () => void shutdown('SIGINT'))

  await app.listen({ port: config.port, host: config.host })
}

start().catch(err => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
