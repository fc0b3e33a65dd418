// npm start: configuration, migrations, the first administrator, then listen; SIGTERM drains and exits 0.
import { buildApp } from './app.js'
import { hashPassword } from './auth/passwords.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { createKnex } from './db/connection.js'
import { migrateToLatest } from './db/migrate.js'
import { ensureAdmin } from './db/seed-admin.js'

// Below Kubernetes' default 30 s termination grace period, so the drain ends on our terms.
const DRAIN_TIMEOUT_MS = 25_000

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
    // app.close() waits for every open socket, and a keep-alive socket whose request finishes during the drain
    // would stay open for keepAliveTimeout (72 s): close each one as soon as its last response is out.
    const reaper = setInterval(() => app.server.closeIdleConnections(), 100)
    // A request that never finishes must not keep the process alive past the orchestrator's grace period.
    const deadline = setTimeout(() => {
      app.log.error({ drainTimeoutMs: DRAIN_TIMEOUT_MS }, 'shutdown: requests still in flight after the drain timeout, exiting')
      process.exit(1)
    }, DRAIN_TIMEOUT_MS)
    try {
      await app.close()
      await knex.destroy()
    } catch (err) {
      app.log.error({ err }, 'shutdown failed')
      process.exit(1)
    }
    clearInterval(reaper)
    clearTimeout(deadline)
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
