// A TCP proxy for fault tests: sits between a server process and a dependency (MariaDB) and can
// cut every connection (RST) and refuse new ones, or swallow traffic like a network partition.
import { connect, createServer, type Server, type Socket } from 'node:net'

export type ProxyMode = 'pass' | 'cut' | 'blackhole'

export interface TcpProxy {
  host: string
  port: number
  readonly mode: ProxyMode
  /** Connections currently open through the proxy. */
  readonly openConnections: number
  /** Resets every open connection and resets each new one at once (the server is gone). */
  cut(): void
  /**
   * A partition: open connections stay up but nothing crosses (bytes are held back); new connections are
   * accepted and never answered. restore() delivers what was held, as TCP retransmission would.
   */
  blackhole(): void
  /** Traffic flows again; connections held during a blackhole reach the target. */
  restore(): void
  close(): Promise<void>
}

interface Pair {
  client: Socket
  upstream: Socket | null
  /** Bytes held back during a blackhole, per direction. */
  toUpstream: Buffer[]
  toClient: Buffer[]
}

export async function startTcpProxy(target: { host: string, port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = 'pass'
  const pairs = new Set<Pair>()

  const drop = (pair: Pair) => {
    pairs.delete(pair)
    if (!pair.client.destroyed) pair.client.destroy()
    if (pair.upstream && !pair.upstream.destroyed) pair.upstream.destroy()
  }

  const forward = (pair: Pair, from: 'client' | 'upstream', chunk: Buffer) => {
    const queue = from === 'client' ? pair.toUpstream : pair.toClient
    const to = from === 'client' ? pair.upstream : pair.client
    if (mode === 'blackhole' || !to || to.connecting) queue.push(chunk)
    else to.write(chunk)
  }

  const flush = (pair: Pair) => {
    if (pair.upstream && !pair.upstream.connecting) {
      for (const chunk of pair.toUpstream.splice(0)) pair.upstream.write(chunk)
    }
    for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk)
  }

  const openUpstream = (pair: Pair) => {
    const upstream = connect(target.port, target.host)
    pair.upstream = upstream
    upstream.setNoDelay(true)
    upstream.on('connect', () => { if (mode === 'pass') flush(pair) })
    upstream.on('data', chunk => forward(pair, 'upstream', chunk))
    upstream.on('error', () => drop(pair))
    upstream.on('close', () => drop(pair))
  }

  const server: Server = createServer(client => {
    if (mode === 'cut') {
      client.on('error', () => {})
      client.resetAndDestroy()
      return
    }
    const pair: Pair = { client, upstream: null, toUpstream: [], toClient: [] }
    pairs.add(pair)
    client.setNoDelay(true)
    client.on('data', chunk => forward(pair, 'client', chunk))
    client.on('error', () => drop(pair))
    client.on('close', () => drop(pair))
    // During a blackhole the target is not even contacted: the client waits for a greeting that never comes.
    if (mode === 'pass') openUpstream(pair)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as { port: number }

  return {
    host: '127.0.0.1',
    port,
    get mode() { return mode },
    get openConnections() { return pairs.size },
    cut() {
      mode = 'cut'
      for (const pair of [...pairs]) {
        pairs.delete(pair)
        pair.client.on('error', () => {})
        pair.client.resetAndDestroy()
        pair.upstream?.destroy()
      }
    },
    blackhole() {
      mode = 'blackhole'
    },
    restore() {
      mode = 'pass'
      for (const pair of pairs) {
        if (!pair.upstream) openUpstream(pair)
        else flush(pair)
      }
    },
    async close() {
      mode = 'cut'
      for (const pair of [...pairs]) drop(pair)
      await new Promise<void>(resolve => server.close(() => resolve()))
    },
  }
}

/** DATABASE_URL with its host and port replaced by the proxy's. */
export function throughProxy(databaseUrl: string, proxy: TcpProxy): string {
  const url = new URL(databaseUrl)
  url.hostname = proxy.host
  url.port = String(proxy.port)
  return url.toString()
}
