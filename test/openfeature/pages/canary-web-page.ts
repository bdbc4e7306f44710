/**
 * The page script of our web provider's Chromium test: `@canary-flags/openfeature/web` (over the
 * browser build of the SDK) with the published `@openfeature/web-sdk`, driven through `window.canary`.
 */
import { OpenFeature, ProviderEvents, type EvaluationContext } from '@openfeature/web-sdk'
import { CanaryFlagsWebProvider } from '../../../openfeature/src/web.ts'

export interface CanaryPage {
  events: string[]
  start(url: string, key: string, context: EvaluationContext): Promise<string>
  setContext(context: EvaluationContext): Promise<void>
  details(flag: string, defaultValue: boolean): { value: boolean; reason?: string; variant?: string; errorCode?: string }
  track(flag: string): void
  close(): Promise<void>
}

const page: CanaryPage = {
  events: [],
  async start(url, key, context) {
    const client = OpenFeature.getClient()
    for (const event of [ProviderEvents.Ready, ProviderEvents.Error, ProviderEvents.ConfigurationChanged, ProviderEvents.Stale])
      client.addHandler(event, (details) => {
        const changed = details?.flagsChanged
        page.events.push(Array.isArray(changed) ? `${event}:${changed.join(',')}` : event)
      })
    try {
      await OpenFeature.setProviderAndWait(new CanaryFlagsWebProvider({ url, key, flushIntervalMs: 200, logger: {} }), context)
      return 'ready'
    } catch (error) {
      return `failed:${(error as Error).name}`
    }
  },
  setContext: (context) => OpenFeature.setContext(context),
  details(flag, defaultValue) {
    const d = OpenFeature.getClient().getBooleanDetails(flag, defaultValue)
    return { value: d.value, reason: d.reason, variant: d.variant, errorCode: d.errorCode }
  },
  track(flag) {
    OpenFeature.getClient().track('error', { flag })
  },
  close: () => OpenFeature.close(),
}

;(globalThis as unknown as { canary: CanaryPage }).canary = page
