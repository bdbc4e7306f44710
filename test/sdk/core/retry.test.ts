// Contract: sdk/SPEC.md §6 (close codes) and §8 (HTTP outcomes). Where this test and the spec disagree, one of them is a bug.
import { describe, expect, it } from 'vitest'
import { CLOSE } from '../../../sdk/core/protocol.ts'
import { asksForPromptReconnect, closeFailureKind, httpFailureKind } from '../../../sdk/core/retry.ts'

describe('httpFailureKind', () => {
  it.each([401, 403])('%i is a configuration error (the key is wrong, not the network)', (status) => {
    expect(httpFailureKind(status)).toBe('configuration')
  })

  it.each([400, 404, 409, 413, 422])('%i is rejected: this request will never be accepted', (status) => {
    expect(httpFailureKind(status)).toBe('rejected')
  })

  it.each([408, 425, 429, 500, 502, 503, 504])('%i is recoverable: back off and retry', (status) => {
    expect(httpFailureKind(status)).toBe('recoverable')
  })
})

describe('closeFailureKind', () => {
  it('a revoked key is a configuration error; every other close is worth another attempt', () => {
    expect(closeFailureKind(CLOSE.revoked)).toBe('configuration')
    for (const code of [1000, 1001, 1006, CLOSE.restart, CLOSE.policy, CLOSE.tooBig]) {
      expect(closeFailureKind(code)).toBe('recoverable')
    }
  })

  it('only a restart asks for a prompt reconnect', () => {
    expect(asksForPromptReconnect(CLOSE.restart)).toBe(true)
    expect(asksForPromptReconnect(1006)).toBe(false)
  })
})
