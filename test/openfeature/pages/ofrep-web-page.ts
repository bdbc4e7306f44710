/**
 * The page script of the OFREP web test, bundled by esbuild for Chromium: the published
 * `@openfeature/ofrep-web-provider` with `@openfeature/web-sdk`, unmodified, driven by the test
 * through `window.ofrep`.
 */
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider'
import { OpenFeature, ProviderEvents, type EvaluationContext } from '@openfeature/web-sdk'

export interface OfrepPage {
  /** Provider events by domain, in order, as `EVENT` or `EVENT:flag,flag`. */
  events: Record<string, string[]>
  start(domain: string, baseUrl: string, key: string, context: EvaluationContext): Promise<string>
  details(domain: string, flag: string, defaultValue: boolean): { value: boolean; reason?: string; variant?: string; errorCode?: string }
  status(domain: string): string
}

const page: OfrepPage = {
  events: {},
  async start(domain, baseUrl, key, context) {
    const seen: string[] = (page.events[domain] = [])
    const client = OpenFeature.getClient(domain)
    for (const event of [ProviderEvents.Ready, ProviderEvents.Error, ProviderEvents.ConfigurationChanged, ProviderEvents.Stale])
      client.addHandler(event, (details) => {
        const changed = details?.flagsChanged
        seen.push(Array.isArray(changed) ? `${event}:${changed.join(',')}` : event)
      })
    const provider = new OFREPWebProvider({ baseUrl, headers: [['Authorization', `Bearer ${key}`]], cacheMode: 'disabled' })
    try {
      await OpenFeature.setProviderAndWait(domain, provider, context)
      return 'ready'
    } catch (error) {
      return `failed:${(error as Error).name}`
    }
  },
  details(domain, flag, defaultValue) {
    const d = OpenFeature.getClient(domain).getBooleanDetails(flag, defaultValue)
    return { value: d.value, reason: d.reason, variant: d.variant, errorCode: d.errorCode }
  },
  status(domain) {
    return OpenFeature.getClient(domain).providerStatus
  },
}

;(globalThis as unknown as { ofrep: OfrepPage }).ofrep = page
