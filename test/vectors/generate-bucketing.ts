/**
 * One-off generator of `bucketing.json`, kept for reference. Run from the repo root:
 *
 *   npx tsx test/vectors/generate-bucketing.ts > test/vectors/bucketing.json
 *
 * It deliberately uses the `murmurhash` package (TextEncoder + murmur3), not `sdk/core`, so the
 * vectors are an independent reference for our streaming implementation and for other SDKs.
 * The inputs come from a seeded PRNG, so a re-run prints the same file. Lone surrogates are left
 * out on purpose: they are a JavaScript-only concern (covered in murmur3.test.ts) and many JSON
 * decoders in other languages reject or rewrite them.
 */
import murmurhash from 'murmurhash'

/** mulberry32: tiny deterministic PRNG, so the file never changes between runs. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const random = prng(20240301)
const int = (n: number) => Math.floor(random() * n)
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T

const LATIN = [...'abcdefghijklmnopqrstuvwxyz0123456789-_.']
const OTHER_SCRIPTS = [
  'éèêàçüöñßøåÉÈ',
  '日本語中文한국어',
  'Ωπλ',
  'абвгдеж',
  'عربي',
]
const EMOJI = ['😀', '🚀', '👍🏽', '🇫🇷', '👩‍💻', '𝄞']

function randomText(maxLength: number): string {
  const length = int(maxLength + 1)
  let text = ''
  for (let i = 0; i < length; i++) {
    const r = random()
    text += r < 0.1 ? pick(EMOJI) : r < 0.3 ? pick([...pick(OTHER_SCRIPTS)]) : pick(LATIN)
  }
  return text
}

const fixed: Array<[string, string]> = [
  ['checkout-v2', 'user-1'],
  ['checkout-v2', 'user-42'],
  ['checkout-v2', '42'],
  ['checkout-v2', ''],
  ['', 'user-1'],
  ['', ''],
  ['flag', 'é'],
  ['flag', 'café'],
  ['flag', '日本'],
  ['日本', 'ユーザー'],
  ['flag', '😀'],
  ['🚀-launch', 'user-😀-7'],
  ['flag', '👩‍💻'],
  ['flag', '🇫🇷'],
  ['flag', 'a'.repeat(1000)],
  ['x'.repeat(300), 'y'.repeat(700)],
  ['flag', 'é'.repeat(257)],
  ['flag', '日本'.repeat(300)],
  ['flag', '😀'.repeat(200)],
  ['salt:with:colons', 'value:with:colons'],
  ['flag', ' leading and trailing spaces '],
  ['flag', 'tab\tnewline\n'],
  ['flag', '\u0000'],
  ['flag', '\u007f\u0080\u07ff\u0800\uffff'],
  ['flag', '\u{10000}\u{10ffff}'],
  ['a', 'b'],
  ['ab', 'c'],
  ['abc', ''],
]

const rows: Array<{ salt: string; value: string; bucket: number }> = []
const add = (salt: string, value: string) =>
  rows.push({ salt, value, bucket: murmurhash.v3(`${salt}:${value}`, 0) % 100_000 })

for (const [salt, value] of fixed) add(salt, value)
for (let i = 0; rows.length < 1000; i++) {
  if (i % 4 === 0) add(pick(['checkout-v2', 'search.ranking', 'flag-' + i]), `user-${int(1e7)}`)
  else if (i % 4 === 1) add(randomText(12), randomText(24))
  else if (i % 4 === 2) add('checkout-v2', randomText(int(4) === 0 ? 300 : 40))
  else add(randomText(4), String(int(1e9)))
}

const description =
  'bucket = murmur3_x86_32(utf8(salt + ":" + value), seed 0) mod 100000. Generated once by ' +
  'test/vectors/generate-bucketing.ts with the murmurhash npm package; every SDK must reproduce it.'
// One vector per line keeps the file diffable and easy to grep from any language.
const lines = rows.map((row) => '    ' + JSON.stringify(row))
const header = `{\n  "description": ${JSON.stringify(description)},\n  "vectors": [\n`
process.stdout.write(`${header}${lines.join(',\n')}\n  ]\n}\n`)
