// Uploads over a real socket: the file is relayed to n8n while the client is still sending it (never buffered
// whole), the size limit cuts it off with 413, and a client that gives up mid-upload leaves the server healthy.
import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { request } from 'undici'
import { linkedKb, people, proxyWorld } from './setup.js'

const MB = 1024 * 1024

t.test('streamed uploads', async t => {
  const w = await proxyWorld(t, {}, { maxUploadBytes: 16 * MB })
  const p = await people(w)
  const kb = await linkedKb(w, 'Big', [p.project])
  const auth = await w.auth(p.member)
  const base = await w.app.listen({ port: 0, host: '127.0.0.1' })

  // A multipart body produced chunk by chunk; `pause` runs once, in the middle of the file.
  async function * body(boundary: string, size: number, pause?: () => Promise<void>, hash?: ReturnType<typeof createHash>) {
    yield `--${boundary}\r\nContent-Disposition: form-data; name="hash_id"\r\n\r\n${kb.hash_id}\r\n`
    yield `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`
    const chunk = randomBytes(256 * 1024)
    for (let sent = 0; sent < size; sent += chunk.length) {
      const piece = chunk.subarray(0, Math.min(chunk.length, size - sent))
      hash?.update(piece)
      yield piece
      if (pause && sent >= size / 2 && sent < size / 2 + chunk.length) await pause()
    }
    yield `\r\n--${boundary}--\r\n`
  }
  const post = (gen: AsyncIterable<string | Buffer>, boundary: string, signal?: AbortSignal) => request(`${base}/api/kb/file/add/`, {
    method: 'POST', body: Readable.from(gen), signal,
    headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
  })

  t.test('n8n starts receiving the file before the client has finished sending it', async t => {
    w.n8n.requests.length = 0
    const before = w.n8n.bytesReceived
    let relayedEarly = false
    const hash = createHash('sha256')
    const size = 8 * MB
    const res = await post(body('b1', size, async () => {
      for (let i = 0; i < 100 && w.n8n.bytesReceived - before < MB; i++) await sleep(20)
      relayedEarly = w.n8n.bytesReceived - before >= MB
    }, hash), 'b1')
    t.equal(res.statusCode, 200)
    t.same(await res.body.json(), { status: 'success', file: 'big.bin' })
    t.ok(relayedEarly, 'over 1 MB had reached n8n while half the file was still unsent')
    const file = w.n8n.requests[0].parts!.find(p => p.name === 'file')!
    t.equal(file.size, size)
    t.equal(file.sha256, hash.digest('hex'), 'byte-identical')
  })

  t.test('over the limit → 413; the upstream request is aborted, n8n never gets a whole file', async t => {
    w.n8n.requests.length = 0
    w.n8n.files.clear()
    const res = await post(body('b2', 17 * MB), 'b2')
    t.equal(res.statusCode, 413)
    t.same(await res.body.json(), { detail: 'The file is larger than the upload limit.' })
    t.same(w.n8n.requests, [], 'n8n recorded no complete request')
    t.same([...(w.n8n.files.get(kb.hash_id) ?? [])], [], 'nothing indexed')
  })

  t.test('a client that aborts mid-upload: no answer owed, upstream aborted, the server keeps serving', async t => {
    w.n8n.requests.length = 0
    const controller = new AbortController()
    await t.rejects(post(body('b3', 8 * MB, async () => { controller.abort() }), 'b3', controller.signal))
    await sleep(200)
    t.same(w.n8n.requests, [], 'no complete upload reached n8n')
    const res = await request(`${base}/api/kb/get/?hash_id=${kb.hash_id}`, { headers: auth })
    t.equal(res.statusCode, 200)
    await res.body.dump()
  })
})
