// Baseline: the exact schema of the original Django backend (database.md §2–§4).
//
// - On a database the original created (Django's ledger present, no knex history) this does
//   NOTHING: knex records it as applied, which is how such a database is adopted.
// - Otherwise it creates every table that is missing, with its keys and foreign keys, then the two
//   client-scope triggers (if missing) and, when it created django_migrations itself, Django's
//   ledger of a fresh install so the Django backend would accept the database too.
// It never alters or drops anything.
import type { Knex } from 'knex'
import { dialectOf } from '../src/db/connection.js'
import {
  CLIENT_SCOPE_MESSAGE, CLIENT_SCOPE_TRIGGERS, DJANGO_MIGRATION_LEDGER, DJANGO_TABLES,
  type ColumnDef, type TableDef,
} from '../src/db/django-schema.js'
import { hasTable, isDjangoDatabase, listTriggers, quoteMysql as qm, quoteSqlite as qs, supportsFunctionalIndexes } from '../src/db/introspect.js'
import { nowDb } from '../src/db/time.js'
import { noteMigrationWarning } from '../src/db/migration-notes.js'

export function mysqlCreateTable(t: TableDef, functionalIndexes: boolean): string {
  const lines: string[] = t.columns.map((col) => {
    let s = `  ${qm(col.name)} ${col.type}${col.nullable ? ' DEFAULT NULL' : ' NOT NULL'}`
    if (col.autoIncrement) s += ' AUTO_INCREMENT'
    if (col.check) s += ` CHECK (${col.check})`
    return s
  })
  lines.push(`  PRIMARY KEY (${qm(t.primaryKey)})`)
  for (const idx of t.indexes) {
    const parts = idx.functional && functionalIndexes ? idx.functional : idx.columns.map(qm).join(',')
    lines.push(`  ${idx.unique ? 'UNIQUE KEY' : 'KEY'} ${qm(idx.name)} (${parts})`)
  }
  for (const f of t.foreignKeys) {
    lines.push(`  CONSTRAINT ${qm(f.name)} FOREIGN KEY (${qm(f.column)}) REFERENCES ${qm(f.refTable)} (${qm(f.refColumn)})` +
      (f.onDelete ? ` ON DELETE ${f.onDelete}` : ''))
  }
  return `CREATE TABLE ${qm(t.name)} (\n${lines.join(',\n')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`
}

function sqliteType(col: ColumnDef): string {
  const t = col.type.toLowerCase()
  // Text columns compare case-insensitively, like utf8mb4_unicode_ci does on MySQL (ASCII only).
  if (/^(char|varchar)\(/.test(t) || t === 'longtext') return `${t} COLLATE NOCASE`
  return t
}

export function sqliteCreateTable(t: TableDef): string[] {
  const lines: string[] = t.columns.map((col) => {
    if (col.autoIncrement) return `  ${qs(col.name)} integer NOT NULL PRIMARY KEY AUTOINCREMENT`
    let s = `  ${qs(col.name)} ${sqliteType(col)}${col.nullable ? ' NULL' : ' NOT NULL'}`
    if (col.name === t.primaryKey) s += ' PRIMARY KEY'
    if (col.check) s += ` CHECK (${col.check.replace(/`/g, '"')})`
    return s
  })
  for (const idx of t.indexes) {
    if (idx.unique && !idx.functional) lines.push(`  CONSTRAINT ${qs(idx.name)} UNIQUE (${idx.columns.map(qs).join(', ')})`)
  }
  for (const f of t.foreignKeys) {
    lines.push(`  CONSTRAINT ${qs(f.name)} FOREIGN KEY (${qs(f.column)}) REFERENCES ${qs(f.refTable)} (${qs(f.refColumn)})` +
      (f.onDelete ? ` ON DELETE ${f.onDelete}` : ''))
  }
  const stmts = [`CREATE TABLE ${qs(t.name)} (\n${lines.join(',\n')}\n)`]
  for (const idx of t.indexes) {
    // SQLite index names are global to the database: keep the MySQL name where it is unique,
    // prefix it with the table otherwise.
    const name = sqliteIndexName(t.name, idx.name)
    if (idx.unique && idx.functional) {
      // NOCASE makes a plain unique on the column equal to MySQL's UNIQUE ((lower(name))).
      stmts.push(`CREATE UNIQUE INDEX ${qs(name)} ON ${qs(t.name)} (${idx.columns.map(qs).join(', ')})`)
    } else if (!idx.unique) {
      stmts.push(`CREATE INDEX ${qs(name)} ON ${qs(t.name)} (${idx.columns.map(qs).join(', ')})`)
    }
  }
  return stmts
}

const ALL_INDEX_NAMES = DJANGO_TABLES.flatMap((t) => t.indexes.map((i) => i.name))
function sqliteIndexName(table: string, name: string): string {
  return ALL_INDEX_NAMES.filter((n) => n === name).length > 1 ? `${table}__${name}` : name
}

function mysqlTriggerSql(name: string, timing: 'INSERT' | 'UPDATE'): string {
  return `CREATE TRIGGER ${qm(name)} BEFORE ${timing} ON \`authentication_projects_users\`
FOR EACH ROW BEGIN
  DECLARE v_proj_client CHAR(36);
  DECLARE v_user_client CHAR(36);
  DECLARE v_role VARCHAR(32);
  SELECT \`client_id\` INTO v_proj_client FROM \`authentication_projects\` WHERE \`id\` = NEW.\`projects_id\`;
  SELECT \`client_id\`, \`role\` INTO v_user_client, v_role FROM \`authentication_userprofile\` WHERE \`id\` = NEW.\`userprofile_id\`;
  IF v_role <> 'ADMINISTRATOR' AND (v_proj_client IS NULL OR v_user_client IS NULL OR v_proj_client <> v_user_client) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${CLIENT_SCOPE_MESSAGE}';
  END IF;
END`
}

function sqliteTriggerSql(name: string, timing: 'INSERT' | 'UPDATE'): string {
  // Same rule as the MySQL trigger: a NULL role (unknown user) lets the row through to the FK check.
  const role = '(SELECT role FROM authentication_userprofile WHERE id = NEW.userprofile_id)'
  const pc = '(SELECT client_id FROM authentication_projects WHERE id = NEW.projects_id)'
  const uc = '(SELECT client_id FROM authentication_userprofile WHERE id = NEW.userprofile_id)'
  return `CREATE TRIGGER ${qs(name)} BEFORE ${timing} ON authentication_projects_users
FOR EACH ROW WHEN ${role} <> 'ADMINISTRATOR' AND (${pc} IS NULL OR ${uc} IS NULL OR ${pc} <> ${uc})
BEGIN
  SELECT RAISE(ABORT, '${CLIENT_SCOPE_MESSAGE}');
END`
}

export async function up(knex: Knex): Promise<void> {
  if (await isDjangoDatabase(knex)) return // adopt: never touch a database the original created

  const dialect = dialectOf(knex)
  const functional = await supportsFunctionalIndexes(knex)
  const created = new Set<string>()
  for (const t of DJANGO_TABLES) {
    if (await hasTable(knex, t.name)) continue
    if (dialect === 'mysql') {
      await knex.raw(mysqlCreateTable(t, functional))
    } else {
      for (const stmt of sqliteCreateTable(t)) await knex.raw(stmt)
    }
    created.add(t.name)
  }

  // The client-scope triggers (database.md §4), when neither variant is present.
  const existing = await listTriggers(knex, 'authentication_projects_users')
  const hasInsert = existing.some((n) => /^trg_apu_bi_enforce_client_/.test(n))
  const hasUpdate = existing.some((n) => /^trg_apu_bu_enforce_client_/.test(n))
  const wanted: Array<[string, 'INSERT' | 'UPDATE']> = []
  if (!hasInsert) wanted.push([CLIENT_SCOPE_TRIGGERS[0], 'INSERT'])
  if (!hasUpdate) wanted.push([CLIENT_SCOPE_TRIGGERS[1], 'UPDATE'])
  for (const [name, timing] of wanted) {
    try {
      await knex.raw(dialect === 'mysql' ? mysqlTriggerSql(name, timing) : sqliteTriggerSql(name, timing))
    } catch (err) {
      if (dialect !== 'mysql') throw err
      // Missing TRIGGER privilege, or binary logging without log_bin_trust_function_creators.
      // The service checks the rule itself before every insert, so carry on, loudly.
      noteMigrationWarning(`could not create trigger ${name}: ${(err as Error).message}. ` +
        'The API enforces the client scope itself; grant TRIGGER (and set log_bin_trust_function_creators=1 ' +
        'when binary logging is on) and restart to get the database-level guard.')
    }
  }

  if (created.has('django_migrations')) {
    const applied = nowDb()
    await knex('django_migrations').insert(DJANGO_MIGRATION_LEDGER.map(([app, name]) => ({ app, name, applied })))
  }
}

export async function down(): Promise<void> {
  throw new Error('The baseline cannot be rolled back: it would drop the original schema.')
}
