// What every engine and handler receives: configuration, the database and the bound models.
import type { FastifyBaseLogger } from 'fastify'
import type { Knex } from 'knex'
import type { Config } from './config.js'
import type { PolicySet } from './engine/policy/index.js'
import type { Models } from './models/index.js'

export interface Deps {
  config: Config
  knex: Knex
  models: Models
  log: FastifyBaseLogger
  /** policies/*.yaml, loaded and validated at start-up (CRUD engine, guard). */
  policies?: PolicySet
}
