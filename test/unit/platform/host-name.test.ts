import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { hostName } from '../../../src/platform/host-name'

describe('hostName', () => {
  it('names this machine exactly as os.hostname() does (lock records from both must compare equal)', () => {
    expect(hostName()).toBe(hostname())
    expect(hostName()).toBe(hostName())
  })
})
