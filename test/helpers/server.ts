// Starts `src/main.ts` as a real process (what `npm start` runs) on a free port and waits until it answers.
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'

export interface RunningServer {
  url: string
  process: ChildProcess
  output(): string
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    }).on('error', reject)
  })
}

export async function startServer(env: Record<string, string>, timeoutMs = 30_000): Promise<RunningServer> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'src/main.ts')], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', d => { output += d })
  child.stderr!.on('data', d => { output += d })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`)
    const ok = await fetch(`${url}/api/health/`).then(r => r.ok, () => false)
    if (ok) {
      return {
        url,
        process: child,
        output: () => output,
        async stop(signal = 'SIGTERM') {
          if (child.exitCode === null) child.kill(signal)
          return exited
        },
      }
    }
    await new Promise(r => setTimeout(r, 200))
  }
  child.kill('SIGKILL')
  throw new Error(`server did not answer within ${timeoutMs} ms:\n${output}`)
}
