// buildTestApp(t): the real app on a fresh migrated database, closed on teardown, with seed and auth helpers.
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import { buildApp, type BuildOptions } from '../../src/app.js'
import { issuePair } from '../../src/auth/tokens.js'
import { loadConfig, type Config } from '../../src/config.js'
import { bindModels } from '../../src/models/index.js'
import { createTestDatabase } from './database.js'
import { createSeeder, type Seeder, type SeedUser } from './seed.js'

export const TEST_SECRET = 'test-secret-key-that-is-long-enough-for-hs256'

export interface TestApp {
  app: FastifyInstance
  knex: Knex
  config: Config
  seed: Seeder
  /** Authorization header with a fresh access token for the user. */
  auth(user: SeedUser): Promise<{ authorization: string }>
}

export interface TestAppOptions {
  env?: Record<string, string>
  configure?: (config: Config) => Config
  build?: Partial<Omit<BuildOptions, 'config' | 'knex'>>
}

export function testConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({ SECRET_KEY: TEST_SECRET, RATE_LIMIT: 'off', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, ...env })
}

export async function buildTestApp(t: Test, options: TestAppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase()
  const base = testConfig(db.url, options.env)
  const config = options.configure ? options.configure(base) : base
  const app = await buildApp({ config, knex: db.knex, logger: false, ...options.build })
  await app.ready()
  t.teardown(async () => {
    await app.close()
    await db.destroy()
  })
  const models = bindModels(db.knex)
  return {
    app,
    knex: db.knex,
    config,
    seed: createSeeder(db.knex),
    async auth(user) {
      const row = await models.User.query().findById(user.id)
      if (!row) throw new Error(`seeded user ${user.id} not found`)
      const pair = await issuePair(row, { config, knex: db.knex, models } as any)
      return { authorization: `Bearer ${pair.access}` }
    },
  }
}
