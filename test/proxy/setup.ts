// Shared set-up for the proxy tests: the real app (proxy engine wired) talking to a fake n8n on 127.0.0.1.
import type { Test } from 'tap'
import { closeUpstreamPools, createProxyEngine, type ProxyOptions } from '../../src/engine/proxy/index.js'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { startFakeN8n, type FakeN8n } from '../fakes/n8n.js'

export interface ProxyWorld extends TestApp {
  n8n: FakeN8n
}

export async function proxyWorld(t: Test, env: Record<string, string> = {}, engine: ProxyOptions = {}): Promise<ProxyWorld> {
  const n8n = await startFakeN8n({ key: 'k-secret-123' })
  t.teardown(async () => {
    await n8n.close()
    await closeUpstreamPools()
  })
  const world = await buildTestApp(t, {
    env: { N8N_BASE_URL: n8n.url, N8N_KB_KEY: n8n.key, ...env },
    build: { engines: { n8n: createProxyEngine(engine) } },
  })
  return { ...world, n8n }
}

/** A client, an admin, a member, a guest member and an outsider, with one project shared by member and guest. */
export async function people(world: ProxyWorld) {
  const { seed } = world
  const client = await seed.client()
  const admin = await seed.user({ name: 'admin', role: 'ADMINISTRATOR', client })
  const member = await seed.user({ name: 'member', role: 'USER', client })
  const guest = await seed.user({ name: 'guest', role: 'GUEST', client })
  const outsider = await seed.user({ name: 'outsider', role: 'USER', client })
  const project = await seed.project({ name: 'Mine', client, members: [member, guest] })
  const other = await seed.project({ name: 'Theirs', client, members: [outsider] })
  return { client, admin, member, guest, outsider, project, other }
}

/** A KB that exists in the fake n8n, linked to the given projects. */
export async function linkedKb(world: ProxyWorld, name: string, projects: Array<{ id: string }>) {
  const row = world.n8n.addKb(name, `${name} description`)
  for (const p of projects) {
    await world.knex('kb_links').insert({ id: crypto.randomUUID().replaceAll('-', ''), external_id: row.hash_id, name, project_id: p.id })
  }
  return row
}

export const uuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`

export type FormEntry = [string, string] | [string, { filename: string, content: Buffer | string, type?: string }]

/** A multipart/form-data payload in the given part order. */
export function form(entries: FormEntry[]): { payload: Buffer, headers: Record<string, string> } {
  const boundary = `----test${Math.random().toString(16).slice(2)}`
  const chunks: Buffer[] = []
  for (const [name, value] of entries) {
    if (typeof value === 'string') {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`))
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${value.filename}"\r\nContent-Type: ${value.type ?? 'application/pdf'}\r\n\r\n`))
      chunks.push(Buffer.isBuffer(value.content) ? value.content : Buffer.from(value.content))
      chunks.push(Buffer.from('\r\n'))
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}
