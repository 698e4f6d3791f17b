import { execFileSync } from 'node:child_process'
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Writable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ProcessLike } from '../../../src/platform/process'
import { createNodeIO, decideColor } from '../../../src/platform/node-io'

interface FakeProcess {
  proc: ProcessLike
  stdin: PassThrough & { isTTY?: boolean; rawModes: boolean[]; setRawMode(mode: boolean): void }
  stdout: () => string
  stderr: () => string
}

function fakeProcess(options: { stdinTTY?: boolean; stderrTTY?: boolean } = {}): FakeProcess {
  const stdin = Object.assign(new PassThrough(), {
    isTTY: options.stdinTTY,
    rawModes: [] as boolean[],
    setRawMode(mode: boolean) {
      stdin.rawModes.push(mode)
    },
  })
  const out: string[] = []
  const err: string[] = []
  const sink = (buffer: string[], isTTY: boolean) =>
    Object.assign(new PassThrough(), { isTTY }).on('data', (c: Buffer) => buffer.push(c.toString('utf8')))
  const proc = {
    argv: [],
    env: {},
    platform: 'linux',
    stdin,
    stdout: sink(out, false),
    stderr: sink(err, options.stderrTTY ?? false),
    cwd: () => '/',
  } as unknown as ProcessLike
  return { proc, stdin, stdout: () => out.join(''), stderr: () => err.join('') }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('decideColor', () => {
  it.each([
    [true, false, {}, true],
    [false, false, {}, false],
    [true, true, {}, false],
    [true, false, { NO_COLOR: '1' }, false],
    [true, false, { NO_COLOR: '' }, true],
    [false, false, { FORCE_COLOR: '1' }, true],
    [false, false, { FORCE_COLOR: '' }, true],
    [true, false, { FORCE_COLOR: '0' }, false],
    [false, false, { FORCE_COLOR: '1', NO_COLOR: '1' }, true],
    [true, true, { FORCE_COLOR: '1' }, false],
  ])('tty=%s --no-color=%s env=%j → %s', (tty, noColor, env, expected) => {
    expect(decideColor(tty, noColor, env)).toBe(expected)
  })
})

describe('createNodeIO', () => {
  it('delegates writes and reports TTY flags', () => {
    const fake = fakeProcess({ stdinTTY: true })
    const io = createNodeIO(fake.proc, { noColor: false, env: {} })
    io.stdout.write('result')
    io.stderr.write('note')
    expect(fake.stdout()).toBe('result')
    expect(fake.stderr()).toBe('note')
    expect(io.stdinIsTTY).toBe(true)
    expect(io.stdout.isTTY).toBe(false)
    expect(io.color).toBe(false)
  })

  it('reads lines one at a time from a pipe, however the data is chunked, then the rest', async () => {
    const fake = fakeProcess()
    const io = createNodeIO(fake.proc, { noColor: false, env: {} })
    fake.stdin.write('first line\r\nsec')
    const first = await io.readLine('Client ID: ')
    expect(first).toBe('first line')
    const second = io.readLine('Secret: ')
    await tick()
    fake.stdin.write('ond line\nthe rest\nof it')
    expect(await second).toBe('second line')
    fake.stdin.end()
    expect(await io.readStdin()).toBe('the rest\nof it')
    // Piped answers do not echo: each prompt ends its line, so what follows starts on a new one.
    expect(fake.stderr()).toBe('Client ID: \nSecret: \n')
  })

  it('reads a line of many kilobytes whole', async () => {
    const fake = fakeProcess()
    const io = createNodeIO(fake.proc, { noColor: false, env: {} })
    const long = 'x'.repeat(200_000)
    const pending = io.readLine('')
    for (let i = 0; i < long.length; i += 7_000) {
      fake.stdin.write(long.slice(i, i + 7_000))
      await tick()
    }
    fake.stdin.write('\nnext\n')
    expect(await pending).toBe(long)
    expect(await io.readLine('')).toBe('next')
  })

  it('returns the last unterminated line, then an empty string at end of input', async () => {
    const fake = fakeProcess()
    const io = createNodeIO(fake.proc, { noColor: false, env: {} })
    fake.stdin.end('no newline')
    expect(await io.readLine('')).toBe('no newline')
    expect(await io.readLine('')).toBe('')
  })

  it('reads all of stdin as utf8, including multi-byte characters split across chunks', async () => {
    const fake = fakeProcess()
    const io = createNodeIO(fake.proc, { noColor: false, env: {} })
    const bytes = Buffer.from('zażółć {"a":1}\n', 'utf8')
    const pending = io.readStdin()
    fake.stdin.write(bytes.subarray(0, 3))
    await tick()
    fake.stdin.end(bytes.subarray(3))
    expect(await pending).toBe('zażółć {"a":1}\n')
  })

  it('reads hidden input on a terminal in raw mode without echo, handling backspace', async () => {
    const fake = fakeProcess({ stdinTTY: true })
    const io = createNodeIO(fake.proc, { noColor: false, env: {} })
    const pending = io.readLine('Token: ', { hidden: true })
    fake.stdin.write('s3x\u007fcr')
    await tick()
    fake.stdin.write('\u001b[Det\rafter\n')
    expect(await pending).toBe('s3cret')
    expect(fake.stdin.rawModes).toEqual([true, false])
    expect(fake.stderr()).toBe('Token: \n')
    // What was typed after Enter is left for the next read.
    expect(await io.readLine('')).toBe('after')
  })

  it('rejects hidden input with an AbortError on Ctrl-C and leaves raw mode', async () => {
    const fake = fakeProcess({ stdinTTY: true })
    const io = createNodeIO(fake.proc, { noColor: false, env: {} })
    const pending = io.readLine('Token: ', { hidden: true })
    fake.stdin.write('abc\u0003')
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    expect(fake.stdin.rawModes).toEqual([true, false])
  })

  it('ends hidden input on Ctrl-D', async () => {
    const fake = fakeProcess({ stdinTTY: true })
    const io = createNodeIO(fake.proc, { noColor: false, env: {} })
    const pending = io.readLine('', { hidden: true })
    fake.stdin.write('abc\u0004')
    expect(await pending).toBe('abc')
  })

  it('stops waiting for a line when the signal aborts', async () => {
    const fake = fakeProcess()
    const io = createNodeIO(fake.proc, { noColor: false, env: {} })
    const controller = new AbortController()
    const pending = io.readLine('', { signal: controller.signal })
    controller.abort(new Error('gave up'))
    await expect(pending).rejects.toThrow('gave up')
  })
})

describe('createNodeIO writing straight to a file descriptor', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oauth-cli-node-io-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  /** A process whose stdout stream counts how often it was made. */
  function countingProcess(): { proc: ProcessLike; made: () => number; streamed: () => Buffer } {
    const fake = fakeProcess()
    let made = 0
    const chunks: Buffer[] = []
    const stream = Object.assign(new PassThrough(), { isTTY: false }).on('data', (c: Buffer) => chunks.push(c))
    const proc = Object.defineProperty({ ...fake.proc }, 'stdout', {
      get: () => {
        made++
        return stream
      },
    })
    return { proc, made: () => made, streamed: () => Buffer.concat(chunks) }
  }

  it('writes small outputs to the descriptor without making the stream', async () => {
    const file = join(dir, 'out')
    const fd = openSync(file, 'w')
    const { proc, made } = countingProcess()
    const io = createNodeIO(proc, { noColor: false, env: {}, fds: { stdout: fd } })
    expect(io.stdout.isTTY).toBe(false)
    io.stdout.write('one ')
    await io.stdout.writeAndDrain?.(Buffer.from('two'))
    closeSync(fd)
    expect(readFileSync(file, 'utf8')).toBe('one two')
    expect(made()).toBe(0)
  })

  it.runIf(existsSync('/dev/null'))('tells /dev/null is no terminal without making the stream', () => {
    const fd = openSync('/dev/null', 'w')
    const { proc, made } = countingProcess()
    const io = createNodeIO(proc, { noColor: false, env: {}, fds: { stdout: fd } })
    expect(io.stdout.isTTY).toBe(false)
    io.stdout.write('gone')
    closeSync(fd)
    expect(made()).toBe(0)
  })

  it('hands over to the stream past the first MiB, keeping the order of the bytes', async () => {
    const file = join(dir, 'out')
    const fd = openSync(file, 'w')
    const { proc, made, streamed } = countingProcess()
    const io = createNodeIO(proc, { noColor: false, env: {}, fds: { stdout: fd } })
    const parts = [Buffer.alloc(700 * 1024, 'a'), Buffer.alloc(700 * 1024, 'b'), Buffer.alloc(10, 'c')]
    for (const part of parts) await io.stdout.writeAndDrain?.(part)
    closeSync(fd)
    expect(made()).toBe(1)
    expect(Buffer.concat([readFileSync(file), streamed()]).equals(Buffer.concat(parts))).toBe(true)
    expect(streamed().toString()).toBe('cccccccccc')
  })

  it('gives what a full non-blocking pipe would not take to the stream, in order', async () => {
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)
    const { proc, made, streamed } = countingProcess()
    const io = createNodeIO(proc, { noColor: false, env: {}, fds: { stdout: writer } })
    // More than a pipe holds (64 KiB on Linux), with nobody reading: the write would block.
    const body = Buffer.from(Array.from({ length: 300 * 1024 }, (_, i) => i % 251))
    await io.stdout.writeAndDrain?.(body)
    io.stdout.write('tail')
    closeSync(writer)
    const inPipe: Buffer[] = []
    const buffer = Buffer.alloc(64 * 1024)
    for (let n; (n = readSync(reader, buffer)) > 0; ) inPipe.push(Buffer.from(buffer.subarray(0, n)))
    closeSync(reader)
    expect(made()).toBe(1)
    expect(inPipe.length).toBeGreaterThan(0)
    expect(Buffer.concat([...inPipe, streamed()]).equals(Buffer.concat([body, Buffer.from('tail')]))).toBe(true)
  })

  it('tells a draining writer what ended the stream: a full disk is no reader gone', async () => {
    const fake = fakeProcess()
    const stream = Object.assign(
      new Writable({ write: (_chunk, _encoding, done) => done(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })) }),
      { isTTY: false },
    )
    const proc = Object.defineProperty({ ...fake.proc }, 'stdout', { get: () => stream })
    const io = createNodeIO(proc, { noColor: false, env: {}, fds: { stdout: undefined } })
    io.stdout.write('lost')
    await new Promise((resolve) => stream.once('close', resolve))
    await expect(io.stdout.writeAndDrain?.('')).rejects.toMatchObject({ code: 'ENOSPC' })
  })

  it('rejects writeAndDrain with EPIPE once the reader is gone, and write stays quiet', async () => {
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)
    closeSync(reader)
    const { proc, made } = countingProcess()
    const io = createNodeIO(proc, { noColor: false, env: {}, fds: { stdout: writer } })
    expect(() => io.stdout.write('lost')).not.toThrow()
    await expect(io.stdout.writeAndDrain?.('lost too')).rejects.toMatchObject({ code: 'EPIPE' })
    closeSync(writer)
    expect(made()).toBe(0)
  })
})
