import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { build } from 'esbuild'
import { chromium, type Browser } from 'playwright-core'

/**
 * What every real-browser test needs: Debian's Chromium (installed by `.ci/run`; never a
 * downloaded browser), a page bundled as an application would bundle it, and a site on its own
 * loopback origin (another origin than the flag server, as in production) to load it from.
 */

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}

/** One ES-module bundle of `entry` for the browser, in memory. */
export async function bundleForBrowser(entry: string): Promise<Uint8Array> {
  const bundle = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent' })
  return bundle.outputFiles[0]!.contents
}

export interface Site {
  /** `http://127.0.0.1:<port>/` */
  url: string
  close(): Promise<void>
}

/** Serves `files` (path → HTML or JavaScript, by the path's extension) on a loopback port; anything else is 404. */
export async function serveSite(files: Record<string, string | Uint8Array>): Promise<Site> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname
    const body = files[path]
    if (body === undefined) return void response.writeHead(404).end()
    const type = path.endsWith('.js') ? 'text/javascript' : 'text/html'
    response.writeHead(200, { 'content-type': type }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
