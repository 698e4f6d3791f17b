import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { dropDependencyWarnings } from '../../../src/platform/warnings'

function warning(name: string, message: string): Error {
  return Object.assign(new Error(message), { name })
}

describe('dropDependencyWarnings', () => {
  it("drops undici's SOCKS5 notice and passes every other warning to the printer", () => {
    const events = new EventEmitter()
    const printed: string[] = []
    events.on('warning', (w: Error) => printed.push(`${w.name}: ${w.message}`))
    dropDependencyWarnings(events)
    events.emit('warning', warning('ExperimentalWarning', 'SOCKS5 proxy support is experimental and subject to change'))
    events.emit('warning', warning('ExperimentalWarning', 'The Fetch API is an experimental feature'))
    events.emit('warning', warning('DeprecationWarning', 'Buffer() is deprecated'))
    expect(printed).toEqual(['ExperimentalWarning: The Fetch API is an experimental feature', 'DeprecationWarning: Buffer() is deprecated'])
  })

  it('changes nothing for a process without warning events (tests) or with no printer (--no-warnings)', () => {
    expect(() => dropDependencyWarnings({})).not.toThrow()
    const events = new EventEmitter()
    dropDependencyWarnings(events)
    expect(events.listenerCount('warning')).toBe(0)
  })
})
