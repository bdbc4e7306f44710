import type { ClientMessage } from '../core/protocol.ts'
import type { ClientError } from './errors.ts'

/** What the client hears from its connection. */
export interface TransportHandlers {
  /** A connection is up: say hello (again). */
  open(): void
  /** The heartbeat message (it carries the applied version for the server's connection list). */
  ping(): ClientMessage
  /** One text frame from the server, unparsed. */
  message(text: string): void
  /** An open connection was lost; the transport is already retrying. */
  down(): void
  /** The server refused the key (or revoked it); the transport has stopped for good. */
  fatal(error: ClientError): void
}

/** The client's view of its connection: reconnects by itself until closed or refused. */
export interface Transport {
  /** Sends a message on the open connection; false when there is none. */
  send(message: ClientMessage): boolean
  /** Drops the current connection and connects again (resync of last resort). */
  reconnect(): void
  /** Stops for good. */
  close(): void
}

/** Opens a transport that reports to `handlers` (injected so tests can drive the client). */
export type Connect = (handlers: TransportHandlers) => Transport

/** Callbacks of one socket. */
export interface SocketHandlers {
  open(): void
  message(text: string): void
  /** `reason`: the close frame's reason text (empty when there was none). */
  close(code: number, reason: string): void
  /** The server answered the upgrade with an HTTP status instead (e.g. 401). */
  refused(status: number): void
}

/** One WebSocket, however the platform provides it. After `close`/`terminate` it reports nothing. */
export interface Socket {
  send(text: string): void
  /** Polite close (close frame), for `client.close()`. */
  close(): void
  /** Immediate teardown, for a dead or unwanted connection. */
  terminate(): void
}

/**
 * Opens one socket to `url` authenticated with `key`. Node uses `ws` with an Authorization
 * header; browsers use the platform WebSocket with the key as a sub-protocol.
 */
export type OpenSocket = (url: string, key: string, handlers: SocketHandlers) => Socket
