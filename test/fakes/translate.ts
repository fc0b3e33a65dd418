// A fake AWS Translate on 127.0.0.1 speaking the wire format of resources §12.4 (awsJson1_1, TranslateText), so the
// real @aws-sdk/client-translate provider talks to it through AWS_ENDPOINT_URL_TRANSLATE. Records every call.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface TranslateCall {
  target: string | undefined
  /** The SigV4 Authorization header was present (the SDK signed the request). */
  signed: boolean
  text: string
  sourceLanguage: string
  targetLanguage: string
}

export interface FakeTranslate {
  url: string
  calls: TranslateCall[]
  /** Translations by `${lang}:${text}`; anything else becomes `[lang] text`. */
  dictionary: Map<string, string>
  /** Added latency per answer. */
  delayMs: number
  /** Answer every call with this error status (AWS error JSON). */
  failWith: number | null
  /** Calls being answered right now, and the most at once. */
  inFlight: number
  maxInFlight: number
  close(): Promise<void>
}

export const TRANSLATE_TARGET = 'AWSShineFrontendService_20170701.TranslateText'

export async function startFakeTranslate(): Promise<FakeTranslate> {
  const sockets = new Set<Socket>()
  const fake: FakeTranslate = {
    url: '',
    calls: [],
    dictionary: new Map(),
    delayMs: 0,
    failWith: null,
    inFlight: 0,
    maxInFlight: 0,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    },
  }

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const send = (status: number, body: unknown) => {
      if (res.destroyed) return
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' })
      res.end(JSON.stringify(body))
    }
    const target = req.headers['x-amz-target'] as string | undefined
    let body: Record<string, string>
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      return send(400, { __type: 'SerializationException', message: 'bad json' })
    }
    const call: TranslateCall = {
      target,
      signed: String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256'),
      text: body.Text,
      sourceLanguage: body.SourceLanguageCode,
      targetLanguage: body.TargetLanguageCode,
    }
    fake.calls.push(call)
    if (req.method !== 'POST' || target !== TRANSLATE_TARGET) return send(400, { __type: 'UnknownOperationException' })
    fake.inFlight++
    fake.maxInFlight = Math.max(fake.maxInFlight, fake.inFlight)
    try {
      if (fake.delayMs > 0) await new Promise(resolve => setTimeout(resolve, fake.delayMs))
      if (fake.failWith) return send(fake.failWith, { __type: 'InternalServerException', message: 'fake failure' })
      const translated = fake.dictionary.get(`${call.targetLanguage}:${call.text}`) ?? `[${call.targetLanguage}] ${call.text}`
      send(200, { TranslatedText: translated, SourceLanguageCode: 'en', TargetLanguageCode: call.targetLanguage })
    } finally {
      fake.inFlight--
    }
  })
  server.on('connection', s => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return fake
}
