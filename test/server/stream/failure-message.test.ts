import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { summarizeMessages } from '../../helpers/raw-socket.ts'

/** A failing stream test prints a bounded summary of what it received, never every frame. */
describe('what a failed wait for a stream message prints', () => {
  it('stays a few KB for 300 frames of ~124 KB, with the count per type and the last frames cut short', () => {
    const values = Array.from({ length: 4000 }, () => randomBytes(14).toString('hex'))
    const frame = (version: number) => ({ type: 'changes', changes: [{ type: 'flag', version, flag: { cohorts: [{ values }] } }] })
    const messages = [{ type: 'snapshot', version: 1 }, ...Array.from({ length: 300 }, (_, i) => frame(i + 2))]
    expect(JSON.stringify(messages).length).toBeGreaterThan(30_000_000)
    const text = summarizeMessages(messages)
    expect(text.length).toBeLessThan(2_500)
    expect(text).toMatch(/^301 messages \(snapshot ×1, changes ×300\); last 5:/)
    expect(text).toContain('"version":301')
  })

  it('shows a short list whole', () => {
    expect(summarizeMessages([])).toBe('no messages')
    expect(summarizeMessages([{ type: 'snapshot' }])).toBe('1 message (snapshot ×1); last 1:\n  {"type":"snapshot"}')
  })
})
