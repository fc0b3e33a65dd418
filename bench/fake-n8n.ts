// The fake n8n of test/fakes/n8n.ts as its own process for the benchmark (so its CPU is not the load
// generator's). Prints {"url": …} on stdout once listening; argv: --key K --kb <hash> <name>.
import { startFakeN8n } from '../test/fakes/n8n.js'

const arg = (name: string, offset = 1) => process.argv[process.argv.indexOf(`--${name}`) + offset]
const fake = await startFakeN8n({ key: arg('key') })
fake.record = false // keeps no request log: memory stays flat under load
fake.addKb(arg('kb', 2), 'Benchmark knowledge base', arg('kb'))
process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`)
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void fake.close().finally(() => process.exit(0)))
