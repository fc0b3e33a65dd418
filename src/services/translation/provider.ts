// The translation provider interface, and the one the configuration selects (TRANSLATION_PROVIDER, AWS_*).
import type { Config } from '../../config.js'
import { createAwsProvider } from './aws.js'

export interface TranslationProvider {
  readonly name: string
  /**
   * Translates one text into `targetLang` (a primary language subtag, `pt`). Null when the provider has no
   * translation. Throws on failure; `signal` aborts the call (the request's deadline).
   */
  translate(text: string, targetLang: string, signal: AbortSignal): Promise<string | null>
}

const providers = new WeakMap<Config['translation'], TranslationProvider | null>()

/** The configured provider (one per configuration, so clients and their connections are reused), or null. */
export function providerFor(settings: Config['translation']): TranslationProvider | null {
  if (!providers.has(settings)) {
    providers.set(settings, settings.provider === 'aws' ? createAwsProvider(settings.aws, settings.timeoutMs) : null)
  }
  return providers.get(settings) ?? null
}
