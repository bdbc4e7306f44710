import type { ConsoleManifest } from './build.ts'

const escapeAttribute = (value: string) =>
  value.replace(/[&"<>]/g, (ch) => `&#${ch.charCodeAt(0)};`)

/**
 * The one HTML page of the console: it loads the bundle and the app renders everything else.
 * No inline script or style, so the CSP can forbid both.
 */
export function shellHtml(manifest: ConsoleManifest): string {
  const script = escapeAttribute(`/console/${manifest.script}`)
  const style = escapeAttribute(`/console/${manifest.style}`)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>canary-flags console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${style}">
<script type="module" src="${script}"></script>
</head>
<body>
<div id="app"><noscript>The canary-flags console needs JavaScript.</noscript></div>
</body>
</html>
`
}
