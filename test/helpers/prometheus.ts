/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for tests: every line must
 * be a `# HELP`, a `# TYPE`, a comment or a sample `name{label="value",…} value [timestamp]`;
 * every sample must belong to a family declared by `# TYPE` before it (histograms own their
 * `_bucket`, `_sum` and `_count` series); label values are unescaped; a histogram's buckets
 * must be cumulative and end in `+Inf` equal to `_count`. Anything else throws, so a malformed
 * page fails the test that scraped it. (The npm parsers tried drop histogram labels.)
 */

export interface Sample {
  /** The series name, e.g. `canary_http_request_duration_seconds_count`. */
  name: string
  labels: Record<string, string>
  value: number
}

export interface Family {
  name: string
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  help: string
  samples: Sample[]
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const SUFFIXES: Record<Family['type'], string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
}

/** Values as Prometheus reads them (Go's ParseFloat: NaN and Inf in any letter case). */
function parseValue(text: string, line: string): number {
  const lower = text.toLowerCase()
  if (lower === '+inf' || lower === 'inf') return Infinity
  if (lower === '-inf') return -Infinity
  if (lower === 'nan') return NaN
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${text} in: ${line}`)
  return Number(text)
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {}
  let i = 0
  while (i < text.length) {
    const eq = text.indexOf('=', i)
    if (eq < 0) throw new Error(`bad labels in: ${line}`)
    const name = text.slice(i, eq).trim()
    if (!LABEL.test(name)) throw new Error(`bad label name ${name} in: ${line}`)
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`)
    let value = ''
    let j = eq + 2
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] !== '\\') {
        value += text[j]
        continue
      }
      const next = text[++j]
      if (next === 'n') value += '\n'
      else if (next === '\\' || next === '"') value += next
      else throw new Error(`bad escape \\${next} in: ${line}`)
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${line}`)
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`)
    labels[name] = value
    i = j + 1
    if (text[i] === ',') i++
    else if (i < text.length) throw new Error(`expected , between labels in: ${line}`)
  }
  return labels
}

function checkHistogram(family: Family): void {
  const series = new Map<string, Sample[]>()
  for (const s of family.samples) {
    const { le, ...rest } = s.labels
    const id = JSON.stringify(Object.entries(rest).sort())
    if (s.name.endsWith('_bucket') && le === undefined) throw new Error(`${s.name} without le`)
    series.set(id, [...(series.get(id) ?? []), s])
  }
  for (const samples of series.values()) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'))
    const count = samples.find((s) => s.name.endsWith('_count'))
    for (let k = 1; k < buckets.length; k++)
      if (buckets[k]!.value < buckets[k - 1]!.value) throw new Error(`${family.name}: buckets not cumulative`)
    const inf = buckets.find((b) => b.labels.le === '+Inf')
    if (!inf || !count || inf.value !== count.value) throw new Error(`${family.name}: +Inf bucket must equal _count`)
  }
}

/** Parses a whole `/metrics` page; throws with the offending line on any violation. */
export function parsePrometheusText(text: string): Family[] {
  const families = new Map<string, Family>()
  const help = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const meta = line.match(/^# (HELP|TYPE) (\S+)(?: (.*))?$/)
    if (meta) {
      const [, kind, name, rest = ''] = meta
      if (!NAME.test(name!)) throw new Error(`bad metric name in: ${line}`)
      if (kind === 'HELP') help.set(name!, rest)
      else {
        if (!(rest in SUFFIXES)) throw new Error(`bad type in: ${line}`)
        if (families.has(name!)) throw new Error(`family ${name} declared twice`)
        families.set(name!, { name: name!, type: rest as Family['type'], help: help.get(name!) ?? '', samples: [] })
      }
      continue
    }
    if (line.startsWith('#')) continue
    const sample = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/)
    if (!sample) throw new Error(`not a sample line: ${line}`)
    const [, name, labelText = '', value] = sample
    const family = [...families.values()].find((f) =>
      SUFFIXES[f.type].some((suffix) => `${f.name}${suffix}` === name),
    )
    if (!family) throw new Error(`sample of an undeclared family: ${line}`)
    family.samples.push({ name: name!, labels: parseLabels(labelText, line), value: parseValue(value!, line) })
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family)
  return [...families.values()]
}

/** `GET /metrics` parsed strictly (throws on a bad status, content type or page). */
export async function scrape(url: string, key?: string): Promise<Family[]> {
  const response = await fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} })
  if (response.status !== 200) throw new Error(`GET ${url}: HTTP ${response.status}`)
  const type = response.headers.get('content-type') ?? ''
  if (!type.startsWith('text/plain') || !type.includes('version=0.0.4')) throw new Error(`GET ${url}: content-type ${type}`)
  return parsePrometheusText(await response.text())
}

/**
 * The value of the one series `name` whose labels include `labels` (0 when it does not exist
 * yet, as Prometheus treats an absent counter). For a histogram family name, its `_count`.
 */
export function sample(families: Family[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name)
  const series = family?.type === 'histogram' ? `${name}_count` : name
  const matches = (family?.samples ?? []).filter(
    (s) => s.name === series && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )
  if (matches.length > 1) throw new Error(`${series} ${JSON.stringify(labels)}: ${matches.length} series match`)
  return matches[0]?.value ?? 0
}
