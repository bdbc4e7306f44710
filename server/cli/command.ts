import type { Io } from './io.ts'

/** One runnable command, e.g. `flags on`. Its usage line comes from `synopsis`. */
export interface Command {
  /** Arguments after the command name, e.g. `<key> --env E`. */
  synopsis: string
  summary: string
  /** Talks to the API (its help lists the connection options); group commands always do. */
  usesApi?: boolean
  /** Resolves when the command is done; expected failures throw a CliError. */
  run: (args: string[], io: Io) => Promise<void>
}

/** Commands grouped under one noun (`keys`, `flags`), keyed by verb. */
export type CommandGroup = Record<string, Command>
