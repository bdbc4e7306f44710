import WebSocket from 'ws'

/** What a server-key SDK sees: the snapshot, then change frames (typed loosely for tests). */
export interface SdkFlag {
  key: string
  enabled: boolean
  version: number
  cohorts: Array<{
    name: string
    rollout: number
    conditions: Array<{ attribute?: string; values?: unknown[] }>
  }>
}

/**
 * A raw protocol client with a server key, standing in for an SDK: it records every flag state
 * it is sent, so a test can wait until the SDK "sees" a change made in the console.
 */
export async function connectSdk(baseUrl: string, serverKey: string) {
  const socket = new WebSocket(
    `${baseUrl.replace('http', 'ws')}/api/v1/stream`,
    'canary-flags.v1',
    {
      headers: { authorization: `Bearer ${serverKey}` },
    },
  )
  const flags = new Map<string, SdkFlag>()
  let version = 0
  let snapshot = false
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as
      | { type: 'snapshot'; version: number; flags: SdkFlag[] }
      | {
          type: 'changes'
          changes: Array<{ type: string; version: number; flag?: SdkFlag; key?: string }>
        }
      | { type: string }
    if (message.type === 'snapshot' && 'flags' in message) {
      snapshot = true
      version = message.version
      for (const flag of message.flags) flags.set(flag.key, flag)
    } else if (message.type === 'changes' && 'changes' in message) {
      for (const change of message.changes) {
        version = change.version
        if (change.type === 'flag' && change.flag) flags.set(change.flag.key, change.flag)
        if (change.type === 'flag_deleted' && change.key) flags.delete(change.key)
      }
      // Like an SDK: report the applied version, which the connections page shows.
      socket.send(JSON.stringify({ type: 'ping', version }))
    }
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  socket.send(JSON.stringify({ type: 'hello', sdk: 'test-sdk/1.0' }))

  /** Resolves once the SDK's copy of `key` satisfies `check`. */
  async function waitForFlag(
    key: string,
    check: (flag: SdkFlag) => boolean,
    timeoutMs = 15_000,
  ): Promise<SdkFlag> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const flag = flags.get(key)
      if (snapshot && flag && check(flag)) return flag
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(
      `the SDK never saw the expected state of ${key}; it has ${JSON.stringify(flags.get(key))}`,
    )
  }

  return {
    flags,
    waitForFlag,
    /** Sends one protocol message as the SDK would (e.g. a metrics batch). */
    send: (message: unknown) => socket.send(JSON.stringify(message)),
    close: () => socket.close(),
  }
}
