// Bulk seed for the benchmark, straight in SQL (no API, no ORM): every table is filled by one
// INSERT … SELECT over a numbers CTE, so 1,000,000 projects take seconds, not minutes.
// Ids are md5 hex (32 hex = the storage form of a UUID, database.md §1.3), derived from a prefix and the
// row number, so the fixtures below can be computed without reading anything back.
import { createHash } from 'node:crypto'
import type { Knex } from 'knex'

export const CLIENTS = 100
export const EXPERTISE_AREAS = 10
export const MEMBERSHIPS_PER_USER = 3
export const SESSIONS_PER_USER = 2

export interface SeedSize { projects: number, users: number, bots: number }
export const DEFAULT_SIZE: SeedSize = { projects: 1_000, users: 10_000, bots: 5_000 }

/** The rows the workloads act as / on. */
export interface Fixture {
  admin: string
  /** Member of exactly 3 projects; reads. */
  member: string
  /** Another member of 3 projects; POSTs chat sessions (so the reads of `member` do not grow). */
  writer: string
  /** A bot visible to `writer`. */
  writerBot: string
  /** A KB hash linked to one of `member`'s projects. */
  memberKb: string
  memberKbName: string
}

const SEEDED = ['authentication_clients', 'expertise_areas', 'authentication_userprofile', 'authentication_projects',
  'authentication_projects_users', 'agents', 'authentication_projects_bots', 'kb_links', 'authentication_chatsession']

export const idOf = (prefix: string, n: number) => createHash('md5').update(`${prefix}${n}`).digest('hex')
const ID = (prefix: string, expr = 'n') => `md5(concat('${prefix}', ${expr}))`

/** 0 .. 10^digits - 1, as the derived table `seq(n)`; a plain cross join (no recursion limit, MySQL 8 and MariaDB). */
function numbers(digits: number): string {
  const d = "(select 0 n union all select 1 union all select 2 union all select 3 union all select 4 union all select 5 union all select 6 union all select 7 union all select 8 union all select 9)"
  const parts = Array.from({ length: digits }, (_, i) => `${10 ** i} * d${i}.n`)
  const from = Array.from({ length: digits }, (_, i) => `${d} d${i}`).join(' cross join ')
  return `with seq as (select ${parts.join(' + ')} as n from ${from})`
}
const digitsFor = (count: number) => Math.max(1, Math.ceil(Math.log10(count)))

// Varied names, so "order by name" really sorts (and ties are rare but present, as in real data).
const WORDS = ['Atlas', 'Borealis', 'Cobalt', 'Delta', 'Ember', 'Fjord', 'Granite', 'Harbor', 'Indigo', 'Juniper',
  'Kestrel', 'Lumen', 'Meridian', 'Nimbus', 'Onyx', 'Prism', 'Quartz', 'Redwood', 'Sierra', 'Tundra']
const word = (expr: string) => `elt(1 + (${expr}) % ${WORDS.length}, ${WORDS.map(w => `'${w}'`).join(', ')})`

const NOW = "date_format(utc_timestamp(6), '%Y-%m-%d %H:%i:%s.%f')"
const AGO = (secondsExpr: string) => `date_format(utc_timestamp(6) - interval (${secondsExpr}) second, '%Y-%m-%d %H:%i:%s.%f')`

export async function seed(knex: Knex, size: SeedSize = DEFAULT_SIZE): Promise<Fixture> {
  const { users, bots } = size
  const run = (sql: string) => knex.raw(sql)

  await run(`insert into authentication_clients (id, created_at, updated_at, name)
    ${numbers(digitsFor(CLIENTS))} select ${ID('c')}, ${NOW}, null, concat('Client ', ${word('n')}, ' ', n) from seq where n < ${CLIENTS}`)

  await run(`insert into expertise_areas (id, created_at, updated_at, active, name, description)
    ${numbers(digitsFor(EXPERTISE_AREAS))} select ${ID('e')}, ${NOW}, null, null, concat('Area ', n), 'Benchmark area' from seq where n < ${EXPERTISE_AREAS}`)

  // User 0 is the administrator (no client); user n belongs to client n % CLIENTS. The password is unusable
  // (Django's '!' prefix): the benchmark signs tokens, it never logs in.
  await run(`insert into authentication_userprofile (id, password, last_login, is_superuser, username, first_name, last_name,
      is_staff, is_active, date_joined, created_at, updated_at, email, role, password_reset_token, password_reset_token_expires_at,
      active, avatar, client_id, department, full_name, job_title, joined_at)
    ${numbers(digitsFor(users))} select ${ID('u')}, '!bench', null, 0, concat('bench_user_', n), ${word('n')}, concat('User ', n),
      0, 1, ${NOW}, ${NOW}, null, concat('bench_user_', n, '@example.com'), if(n = 0, 'ADMINISTRATOR', if(n % 10 = 5, 'MANAGER', 'USER')),
      null, null, 1, null, if(n = 0, null, ${ID('c', `n % ${CLIENTS}`)}), 'Engineering', concat(${word('n')}, ' User ', n), 'Analyst',
      date(utc_timestamp()) from seq where n < ${users}`)

  await insertProjects(knex, 0, size.projects)

  // Memberships: user u (not the admin) joins 3 of the projects of its client, spread over the client's projects.
  const perClient = Math.floor(size.projects / CLIENTS)
  const memberSql = (k: number) => `insert into authentication_projects_users (projects_id, userprofile_id)
    ${numbers(digitsFor(users))} select ${ID('p', `n % ${CLIENTS} + ${CLIENTS} * ((floor(n / ${CLIENTS}) + ${k}) % ${perClient})`)}, ${ID('u')}
    from seq where n between 1 and ${users - 1}`
  for (let k = 0; k < MEMBERSHIPS_PER_USER; k++) await run(memberSql(k))

  await run(`insert into agents (id, created_at, updated_at, name, description, avatar, url_n8n, active, expertise_area_id)
    ${numbers(digitsFor(bots))} select ${ID('b')}, ${NOW}, null, concat(${word('n * 7')}, ' assistant ', n),
      concat('Answers questions about ', ${word('n')}, ' data.'), null, concat('https://n8n.example.com/webhook/', n, '/chat'), null,
      if(n % 3 = 0, null, ${ID('e', `n % ${EXPERTISE_AREAS}`)}) from seq where n < ${bots}`)

  // Bot b is linked to project b % P, odd bots also to project (7b + 3) % P: ~7.5 bots per project.
  const P = size.projects
  await run(`insert into authentication_projects_bots (projects_id, bots_id)
    ${numbers(digitsFor(bots))} select ${ID('p', `n % ${P}`)}, ${ID('b')} from seq where n < ${bots}`)
  await run(`insert into authentication_projects_bots (projects_id, bots_id)
    ${numbers(digitsFor(bots))} select ${ID('p', `(7 * n + 3) % ${P}`)}, ${ID('b')} from seq where n < ${bots} and n % 2 = 1 and (7 * n + 3) % ${P} <> n % ${P}`)

  // One KB per project (hash: 32 lowercase alphanumerics, like n8n's).
  await run(`insert into kb_links (id, external_id, name, project_id)
    ${numbers(digitsFor(P))} select ${ID('k')}, ${ID('kb')}, concat('KB ', ${word('n')}, ' ', n), ${ID('p')} from seq where n < ${P}`)

  // Two chat sessions per user, with a bot of the user's first project (bot p is linked to project p).
  await run(`insert into authentication_chatsession (id, created_at, updated_at, session_key, data, agent_id, user_id)
    ${numbers(digitsFor(users * SESSIONS_PER_USER))} select ${ID('s')}, ${AGO('n')}, null, ${ID('key')}, 'Hello there',
      ${ID('b', `(floor(n / ${SESSIONS_PER_USER}) % ${CLIENTS}) + ${CLIENTS} * (floor(floor(n / ${SESSIONS_PER_USER}) / ${CLIENTS}) % ${perClient})`)},
      ${ID('u', `floor(n / ${SESSIONS_PER_USER})`)}
    from seq where n < ${users * SESSIONS_PER_USER} and floor(n / ${SESSIONS_PER_USER}) > 0`)

  // Statistics as a live database has them (InnoDB recomputes them only some time after a bulk load).
  await run(`analyze table ${SEEDED.join(', ')}`)

  const member = 1
  const writer = 2
  const memberFirstProject = member % CLIENTS + CLIENTS * (Math.floor(member / CLIENTS) % perClient)
  const writerFirstProject = writer % CLIENTS + CLIENTS * (Math.floor(writer / CLIENTS) % perClient)
  return {
    admin: idOf('u', 0),
    member: idOf('u', member),
    writer: idOf('u', writer),
    writerBot: idOf('b', writerFirstProject),
    memberKb: idOf('kb', memberFirstProject),
    memberKbName: `KB ${WORDS[memberFirstProject % WORDS.length]} ${memberFirstProject}`,
  }
}

function insertProjects(knex: Knex, from: number, to: number) {
  return knex.raw(`insert into authentication_projects (id, created_at, updated_at, name, client_id)
    ${numbers(digitsFor(to))} select ${ID('p')}, ${AGO('n')}, null, concat(${word('n * 13')}, ' ', ${word('n')}, ' project ', n),
      ${ID('c', `n % ${CLIENTS}`)} from seq where n >= ${from} and n < ${to}`)
}

/**
 * Grows the project table to `total` rows (the 1M comparison). Each new project gets one member of its
 * client, skipping the first users so that the benchmark's member keeps exactly 3 projects.
 */
export async function growProjects(knex: Knex, size: SeedSize, total: number): Promise<void> {
  const from = size.projects
  const chunk = 100_000
  for (let start = from; start < total; start += chunk) await insertProjects(knex, start, Math.min(total, start + chunk))
  for (let start = from; start < total; start += chunk) {
    const end = Math.min(total, start + chunk)
    await knex.raw(`insert into authentication_projects_users (projects_id, userprofile_id)
      ${numbers(digitsFor(total))} select ${ID('p')}, ${ID('u', `n % ${size.users}`)} from seq
      where n >= ${start} and n < ${end} and n % ${size.users} >= 10`)
  }
  await knex.raw('analyze table authentication_projects, authentication_projects_users')
}
