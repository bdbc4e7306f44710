import type { Command, CommandGroup } from './command.ts'

const CONNECTION = `API commands connect with:
  --url URL   server address (or CANARY_URL; default http://127.0.0.1:4242)
  --key KEY   API key (or CANARY_KEY)
  --json      print the API's JSON instead of a table`

const line = (name: string, command: Command) =>
  `  canary ${name}${command.synopsis ? ` ${command.synopsis}` : ''}\n      ${command.summary}`

/** `canary --help`: every command, generated from the command tables so it cannot drift. */
export function mainUsage(
  top: Record<string, Command>,
  groups: Record<string, CommandGroup>,
): string {
  const lines = [
    ...Object.entries(top).map(([name, command]) => line(name, command)),
    ...Object.entries(groups).flatMap(([group, commands]) =>
      Object.entries(commands).map(([verb, command]) => line(`${group} ${verb}`, command)),
    ),
  ]
  return `usage: canary <command> [options]\n\n${lines.join('\n')}\n\n${CONNECTION}\n`
}

/** `canary flags --help`. */
export function groupUsage(group: string, commands: CommandGroup): string {
  const lines = Object.entries(commands).map(([verb, command]) => line(`${group} ${verb}`, command))
  return `usage:\n${lines.join('\n')}\n\n${CONNECTION}\n`
}

/** `canary flags on --help`. */
export function commandUsage(name: string, command: Command, usesApi: boolean): string {
  return `usage:\n${line(name, command)}\n${usesApi ? `\n${CONNECTION}\n` : ''}`
}
