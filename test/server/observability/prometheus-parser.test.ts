import { describe, expect, it } from 'vitest'
import { parsePrometheusText, sample } from '../../helpers/prometheus.ts'

// The tests of /metrics are only as strict as this parser: it must refuse malformed pages.
describe('the strict Prometheus text parser of the tests', () => {
  const page = [
    '# HELP c_total Things.',
    '# TYPE c_total counter',
    'c_total{a="x\\"y",b="1"} 3',
    '# TYPE h histogram',
    'h_bucket{r="/a",le="0.1"} 1',
    'h_bucket{r="/a",le="+Inf"} 2',
    'h_sum{r="/a"} 0.3',
    'h_count{r="/a"} 2',
  ].join('\n')

  it('reads counters, escaped labels and histogram counts', () => {
    const families = parsePrometheusText(page)
    expect(sample(families, 'c_total', { a: 'x"y' })).toBe(3)
    expect(sample(families, 'h', { r: '/a' })).toBe(2)
    expect(sample(families, 'c_total', { a: 'absent' })).toBe(0)
  })

  it.each([
    ['an undeclared family', 'x 1'],
    ['a bad value', '# TYPE x gauge\nx one'],
    ['an unquoted label', '# TYPE x gauge\nx{a=1} 1'],
    ['a +Inf bucket that is not the count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3'],
    ['a stray line', '# TYPE x gauge\nx 1 2 3'],
  ])('refuses %s', (_name, text) => {
    expect(() => parsePrometheusText(text)).toThrow()
  })
})
