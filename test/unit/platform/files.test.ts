import { execFileSync } from 'node:child_process'
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openOutputFile } from '../../../src/platform/files'

describe('openOutputFile', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oauth-cli-files-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('writes every chunk in order, across many batches, byte for byte', async () => {
    const path = join(dir, 'out.bin')
    const file = await openOutputFile(path)
    const expected: Buffer[] = []
    // Chunks of odd sizes (a batch boundary falls inside many of them), strings and empty ones among them.
    for (let i = 0; i < 400; i++) {
      const chunk = i % 7 === 0 ? `text ${i}\n` : i % 11 === 0 ? new Uint8Array(0) : Buffer.alloc(13_000 + i * 37, i % 256)
      expected.push(Buffer.from(chunk))
      await file.write(chunk)
    }
    await file.close()
    expect(readFileSync(path).equals(Buffer.concat(expected))).toBe(true)
  })

  it('writes to a pipe (no offsets there) in order, byte for byte', async () => {
    const path = join(dir, 'fifo')
    execFileSync('mkfifo', [path])
    const received: Buffer[] = []
    const reader = new Promise<Buffer>((resolve, reject) => {
      const stream = createReadStream(path)
      stream.on('data', (chunk) => received.push(chunk as Buffer))
      stream.on('end', () => resolve(Buffer.concat(received)))
      stream.on('error', reject)
    })
    const file = await openOutputFile(path)
    const expected: Buffer[] = []
    for (let i = 0; i < 120; i++) {
      const chunk = Buffer.alloc(50_000 + i * 101, i % 256)
      expected.push(chunk)
      await file.write(chunk)
    }
    await file.close()
    expect((await reader).equals(Buffer.concat(expected))).toBe(true)
  })

  it('makes an empty file for an empty body', async () => {
    const path = join(dir, 'empty')
    await (await openOutputFile(path)).close()
    expect(existsSync(path)).toBe(true)
    expect(readFileSync(path).byteLength).toBe(0)
  })

  it.runIf(existsSync('/dev/full'))('reports a write the disk refused (ENOSPC) instead of losing it', async () => {
    const file = await openOutputFile('/dev/full')
    const outcome = (async () => {
      for (let i = 0; i < 8; i++) await file.write(Buffer.alloc(512 * 1024))
      await file.close()
    })()
    await expect(outcome).rejects.toMatchObject({ code: 'ENOSPC' })
  })
})
