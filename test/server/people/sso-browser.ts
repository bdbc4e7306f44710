import { expect } from 'vitest'
import type { TestServer } from '../../helpers/server.ts'

/**
 * A browser's part of a single sign-on, done by hand over real HTTP: cookie jars per origin,
 * redirects, and the test provider's (`oidc-provider`) login and consent forms.
 */

/** A browser's cookie jar, by origin (the provider and the server share 127.0.0.1 on different ports). */
export function browser() {
  const jars = new Map<string, Map<string, string>>()
  const jarOf = (url: URL) => jars.get(url.origin) ?? jars.set(url.origin, new Map()).get(url.origin)!
  async function request(url: URL, init: { method?: string; form?: Record<string, string> } = {}) {
    const jar = jarOf(url)
    const headers: Record<string, string> = {}
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded'
    const res = await fetch(url, { method: init.method ?? 'GET', headers, redirect: 'manual', body: init.form && new URLSearchParams(init.form).toString() })
    for (const set of res.headers.getSetCookie()) {
      const [pair] = set.split(';')
      const eq = pair!.indexOf('=')
      const [name, value] = [pair!.slice(0, eq), pair!.slice(eq + 1)]
      if (!value || /max-age=0|expires=thu, 01 jan 1970/i.test(set)) jar.delete(name)
      else jar.set(name, value)
    }
    return res
  }
  /** Follows redirects (at most 20), as a browser would. */
  async function navigate(start: URL, init: { method?: string; form?: Record<string, string> } = {}) {
    let res = await request(start, init)
    let url = start
    for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 20; hops++) {
      url = new URL(res.headers.get('location')!, url)
      res = await request(url)
    }
    return { res, url, body: await res.text() }
  }
  return { request, navigate, jarOf }
}

/** Submits the provider's form on `page` (its action and hidden fields) with `fields` added. */
function formOf(body: string, base: URL, fields: Record<string, string> = {}) {
  const action = /<form[^>]*action="([^"]+)"/.exec(body)?.[1]
  if (!action) throw new Error(`no form on the provider's page: ${body.slice(0, 500)}`)
  const hidden = Object.fromEntries([...body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]))
  return { url: new URL(action.replace(/&amp;/g, '&'), base), form: { ...hidden, ...fields } }
}

/** Starts at the server, signs in at the provider as `login`, consents, and lands where the server sends the browser. */
export async function signInByProvider(server: Pick<TestServer, 'url'>, login: string, tamper?: (callback: URL) => URL) {
  const b = browser()
  const start = await b.request(new URL('/api/v1/sso/start', server.url))
  expect(start.status).toBe(302)
  let page = await b.navigate(new URL(start.headers.get('location')!))
  expect(page.body).toContain('name="login"')
  const loginForm = formOf(page.body, page.url, { login, password: 'any' })
  // The provider answers the login with a redirect to the consent page, then (after consent) to our callback.
  let res = await b.request(loginForm.url, { method: 'POST', form: loginForm.form })
  let url = loginForm.url
  for (let hops = 0; hops < 20; hops++) {
    if (res.status >= 300 && res.status < 400) {
      let next = new URL(res.headers.get('location')!, url)
      if (next.pathname === '/api/v1/sso/callback') {
        if (tamper) next = tamper(next)
        const callback = await b.request(next)
        return { browser: b, callback, body: await callback.text() }
      }
      url = next
      res = await b.request(url)
      continue
    }
    const body = await res.text()
    expect(body, 'the consent page').toContain('name="prompt" value="consent"')
    const consent = formOf(body, url)
    url = consent.url
    res = await b.request(url, { method: 'POST', form: consent.form })
  }
  throw new Error('the provider never sent the browser back to the server')
}
