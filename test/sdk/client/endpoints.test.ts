import { describe, expect, it } from 'vitest'
import { endpoints } from '../../../sdk/client/endpoints.ts'

describe('endpoints', () => {
  it.each([
    ['http://localhost:4242', 'ws://localhost:4242/api/v1/stream', 'http://localhost:4242/api/v1/metrics'],
    ['https://flags.example.com/', 'wss://flags.example.com/api/v1/stream', 'https://flags.example.com/api/v1/metrics'],
    ['https://example.com/flags', 'wss://example.com/flags/api/v1/stream', 'https://example.com/flags/api/v1/metrics'],
    ['wss://example.com/api/v1/stream', 'wss://example.com/api/v1/stream', 'https://example.com/api/v1/metrics'],
  ])('%s', (url, stream, metrics) => {
    expect(endpoints(url)).toEqual({ stream, metrics })
  })

  it('refuses something that is not a URL', () => {
    expect(() => endpoints('flags.example.com')).toThrow(TypeError)
  })
})
