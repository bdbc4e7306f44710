#!/usr/bin/env node
// The `canary` command. The CLI is TypeScript like the rest of the server; tsx compiles it on
// load, so there is no build step between editing and running.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../server/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
