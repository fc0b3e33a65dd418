// AWS Translate through @aws-sdk/client-translate (resources §12.4): source language auto-detected, one text per
// call, a short timeout and at most one retry (the SDK default would retry for minutes).
import { TranslateClient, TranslateTextCommand } from '@aws-sdk/client-translate'
import type { Config } from '../../config.js'
import type { TranslationProvider } from './provider.js'

export function createAwsProvider(settings: Config['translation']['aws'], timeoutMs: number): TranslationProvider {
  const client = new TranslateClient({
    region: settings.region,
    // AWS_ENDPOINT_URL_TRANSLATE: a compatible endpoint (tests point it at a fake on 127.0.0.1).
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    // Without configured keys the SDK's default chain applies (profile, container or instance role).
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    maxAttempts: 2,
    requestHandler: { requestTimeout: timeoutMs, connectionTimeout: Math.min(timeoutMs, 3000) },
  })
  return {
    name: 'aws',
    async translate(text, targetLang, signal) {
      const answer = await client.send(
        new TranslateTextCommand({ Text: text, SourceLanguageCode: 'auto', TargetLanguageCode: targetLang }),
        { abortSignal: signal },
      )
      return answer.TranslatedText?.trim() || null
    },
  }
}
