// The allowed directions of imports, checked by `npm run lint:deps` (part of `npm test`): an
// arrow against them fails the run. README.md "Architecture" shows the same table in words.
//
// Inside server/, LAYERS goes from the bottom up. A module may import its own folder and any
// layer below its own; never a layer above, and never another folder of its own layer (so two
// folders of one layer stay independent), except where the layer says `siblings: true`.
// Every folder or file directly under server/ must be in the table.

/** @type {Array<{ name: string, units: string[], siblings?: boolean }>} */
const LAYERS = [
  // Words and values shared by every layer: errors, the one error response, request parsing,
  // the domain (guard and plan state, rollout arithmetic) and the importers' mappings from
  // Unleash and LaunchDarkly (import/): pure, no I/O.
  { name: 'base', units: ['errors.ts', 'error-response.ts', 'cursor.ts', 'validation.ts', 'domain/', 'import/'], siblings: true },
  // What the server keeps and reads: the store (one contract, two dialects), the rate limits,
  // the console's built bundle; and what it sends out (the outbound-call policy of webhooks).
  { name: 'data', units: ['store/', 'rate-limit/', 'console-serving/', 'outbound/', 'exchange/'] },
  // In-memory live state over the store (change hub, compiled rules) and key checks.
  { name: 'state', units: ['live/', 'auth/'] },
  // What the server decides and does: the guard, the write side of flags, replication.
  { name: 'logic', units: ['guard/', 'services/', 'replication/'] },
  // The edges people and SDKs talk to: HTTP routes, the WebSocket stream, OFREP, the OpenAPI
  // document, logs and metrics.
  { name: 'edges', units: ['routes/', 'stream/', 'ofrep/', 'openapi.ts', 'observability/'] },
  // Wiring, no I/O of its own: the composition root, the app, first-start bootstrap, the config,
  // and how a held change request is previewed and applied (it needs two logic folders).
  { name: 'wiring', units: ['compose.ts', 'app.ts', 'hot-routes.ts', 'bootstrap.ts', 'config.ts', 'proposals.ts'], siblings: true },
  // Entry points: the server process and the CLI.
  { name: 'entry', units: ['main.ts', 'cli/', 'node-http/'], siblings: true },
]

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
/** `store/` → `^server/store/`, `app.ts` → `^server/app\.ts$` */
const unitPath = (unit) => `^server/${escape(unit)}${unit.endsWith('/') ? '' : '$'}`
const anyOf = (units) => units.map(unitPath).join('|')

const layerRules = LAYERS.flatMap((layer, i) => {
  const above = LAYERS.slice(i + 1).flatMap((l) => l.units)
  const upward = above.length
    ? [
        {
          name: `server-${layer.name}-imports-upward`,
          comment: `server layer '${layer.name}' (${layer.units.join(', ')}) may not import a layer above it (${above.join(', ')})`,
          severity: 'error',
          from: { path: anyOf(layer.units) },
          to: { path: anyOf(above) },
        },
      ]
    : []
  const sideways = layer.siblings
    ? []
    : layer.units.map((unit) => ({
        name: `server-${layer.name}-imports-sideways`,
        comment: `server/${unit} may not import another folder of layer '${layer.name}' (${layer.units.filter((u) => u !== unit).join(', ')})`,
        severity: 'error',
        from: { path: unitPath(unit) },
        to: { path: anyOf(layer.units.filter((u) => u !== unit)) },
      }))
  return [...upward, ...sideways]
})

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules may not import each other in a loop.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'server-folder-without-layer',
      comment: 'Every folder or file directly under server/ has a row in LAYERS (.dependency-cruiser.cjs).',
      severity: 'error',
      from: { path: '^server/', pathNot: anyOf(LAYERS.flatMap((l) => l.units)) },
      to: {},
    },
    ...layerRules,
    {
      name: 'sdk-core-is-self-contained',
      comment: 'sdk/core is pure: it imports nothing of this repository outside itself and no node: modules. Packages (re2js, semver) are outside the graph (exclude below), so this rule does not see them.',
      severity: 'error',
      from: { path: '^sdk/core/' },
      to: { pathNot: '^sdk/core/' },
    },
    {
      name: 'sdk-client-imports-only-core',
      comment: 'sdk/client imports sdk/core and nothing else of this repository.',
      severity: 'error',
      from: { path: '^sdk/client/' },
      to: { pathNot: '^(sdk/(core|client)/|node_modules/)', dependencyTypesNot: ['core'] },
    },
    {
      name: 'api-shapes-are-neutral',
      comment: 'api-shapes/ is imported by server, console, CLI and tooling alike: it imports only sdk/core.',
      severity: 'error',
      from: { path: '^api-shapes/' },
      to: { pathNot: '^(api-shapes|sdk/core|node_modules)/' },
    },
    {
      name: 'server-not-to-sdk-client',
      comment: 'The server evaluates with sdk/core; it never imports the SDK client.',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^sdk/', pathNot: '^sdk/core/' },
    },
    {
      name: 'server-not-to-console',
      comment: 'The server serves the console bundle (server/console-serving) but imports no console code.',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^console/' },
    },
    {
      name: 'console-not-to-server',
      comment: 'The console reads the API shapes from api-shapes/, never from server/.',
      severity: 'error',
      from: { path: '^console/' },
      to: { path: '^server/' },
    },
    {
      name: 'only-entry-points-import-server',
      comment: 'Nothing imports server/ except the server itself, bin/, scripts/, tests, benchmarks and examples.',
      severity: 'error',
      from: { pathNot: '^(server|bin|scripts|test|bench|examples)/' },
      to: { path: '^server/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|\.venv)/' },
    // Type-only imports count: a type from a layer above is an arrow upward all the same.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
}
