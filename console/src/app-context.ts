import { createContext, useContext } from 'hono/jsx/dom'
import type { Api } from './api/http.ts'
import type { Live } from './api/live.ts'
import type { Environment } from './api/types.ts'
import type { Route } from './lib/route.ts'

/** What every page of a signed-in console needs. */
export interface AppContextValue {
  api: Api
  live: Live
  /** The environment shown. */
  env: string
  environments: Environment[]
  navigate: (route: Route, env?: string) => void
  link: (route: Route, env?: string) => string
  /** Bumped when this console made or decided a change request: request lists read again. */
  requestsTick: number
  requestsChanged: () => void
}

export const AppContext = createContext<AppContextValue | null>(null)

export function useApp(): AppContextValue {
  const value = useContext(AppContext)
  if (!value) throw new Error('useApp outside a signed-in console')
  return value
}

/** Production-like environments ask before a switch flips. */
export const isProduction = (env: Environment | undefined) =>
  !!env && /prod/i.test(`${env.key} ${env.name}`)
