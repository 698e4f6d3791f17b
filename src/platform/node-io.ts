/**
 * The IO port on a real process: stdout/stderr pass through, stdin is read
 * through one buffer so that several reads (a line, then another line, then
 * the rest) each get exactly their part, however the data was chunked.
 */
import { fstatSync, statSync, writeSync } from 'node:fs'
import type { StringDecoder } from 'node:string_decoder'
import { ReaderGoneError, type IO, type OutputStream } from './io'
import type { Env, ProcessLike } from './process'

/**
 * Colour on stderr: `--no-color` always wins; a non-empty `FORCE_COLOR` other
 * than `0`/`false` forces it; otherwise only on a TTY without `NO_COLOR`.
 * @see https://no-color.org/
 * @see https://force-color.org/
 */
export function decideColor(stderrIsTTY: boolean, noColor: boolean, env: Env): boolean {
  if (noColor) return false
  const force = env.FORCE_COLOR
  if (force !== undefined) return force !== '0' && force !== 'false'
  return stderrIsTTY && !env.NO_COLOR
}

export interface NodeIOOptions {
  noColor: boolean
  env: Env
  /**
   * The file descriptors to write straight to, while the process's own
   * stream is not needed: by default 1 and 2 for a real Node process, whose
   * stdout and stderr streams are made on first use (making one costs ~3 ms:
   * it loads net or tty), none for a stand-in (tests).
   */
  fds?: { stdout?: number; stderr?: number }
}

export function createNodeIO(proc: ProcessLike, options: NodeIOOptions): IO {
  // Each stream is touched only when needed: making the stdin stream alone costs ~2 ms.
  let stdin: StdinReader | undefined
  const reader = (): StdinReader => (stdin ??= new StdinReader(proc.stdin))
  const fds = options.fds ?? { stdout: madeOnFirstUse(proc, 'stdout') ? 1 : undefined, stderr: madeOnFirstUse(proc, 'stderr') ? 2 : undefined }
  const stderr = outputStream(() => proc.stderr, fds.stderr)
  let color: boolean | undefined
  return {
    stdout: outputStream(() => proc.stdout, fds.stdout),
    stderr,
    get stdinIsTTY() {
      return proc.stdin.isTTY === true
    },
    get color() {
      return (color ??= decideColor(stderr.isTTY, options.noColor, options.env))
    },
    readStdin: () => reader().readAll(),
    readLine: async (prompt, opts = {}) => {
      if (prompt) stderr.write(prompt)
      if (opts.hidden && proc.stdin.isTTY) return readHidden(proc.stdin, reader(), stderr, opts.signal)
      // Whatever ends the prompt, what follows starts on a new line: only a line typed on a
      // terminal echoes its own newline (a pipe, Ctrl-D, or a wait that finished first do not).
      let typedOnTerminal = false
      try {
        const line = await reader().readLine(opts.signal)
        typedOnTerminal = line !== undefined && proc.stdin.isTTY === true
        return line ?? ''
      } finally {
        if (prompt && !typedOnTerminal) stderr.write('\n')
      }
    },
  }
}

/** Whether `proc[name]` is Node's lazy getter, not yet a stream (a real process; a stand-in has a plain value). */
function madeOnFirstUse(proc: ProcessLike, name: 'stdout' | 'stderr'): boolean {
  return typeof Object.getOwnPropertyDescriptor(proc, name)?.get === 'function'
}

/**
 * How much goes straight to the descriptor, in blocking writes, before the
 * stream takes over: small outputs (a token, an API answer, the held first
 * MiB of a body) cost no stream; a large body streams with back-pressure.
 */
const DIRECT_WRITE_LIMIT = 1024 * 1024

/**
 * stdout or stderr. With `fd`, writes go straight to it (fs.writeSync) until
 * DIRECT_WRITE_LIMIT bytes went out, or the descriptor would block (a
 * non-blocking pipe: EAGAIN); from then on, and without `fd`, through the
 * stream, in order. A closed reader (EPIPE) is remembered as the stream would
 * be destroyed: `write` ignores it, `writeAndDrain` rejects.
 */
function outputStream(open: () => NodeJS.WriteStream, fd: number | undefined): OutputStream {
  let stream: OutputStream | undefined
  const viaStream = (): OutputStream => (stream ??= wrapStream(open()))
  let direct = fd !== undefined
  let written = 0
  let closed: Error | undefined
  /** Writes what the descriptor takes; the rest (to go through the stream), or undefined when all went out. */
  const writeDirect = (chunk: string | Uint8Array): Uint8Array | undefined => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    let offset = 0
    try {
      while (offset < bytes.byteLength) offset += writeSync(fd as number, bytes, offset)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
      direct = false
      return bytes.subarray(offset)
    }
    written += bytes.byteLength
    if (written >= DIRECT_WRITE_LIMIT) direct = false
    return undefined
  }
  const closedError = (): Error => (closed ? readerGoneOr(closed) : new ReaderGoneError())
  return {
    write: (chunk) => {
      if (closed) return
      if (!direct) return viaStream().write(chunk)
      try {
        const rest = writeDirect(chunk)
        if (rest) viaStream().write(rest)
      } catch (err) {
        closed = err as Error
      }
    },
    writeAndDrain: async (chunk) => {
      if (closed) throw closedError()
      if (!direct) return (viaStream().writeAndDrain as (chunk: string | Uint8Array) => Promise<void>)(chunk)
      let rest: Uint8Array | undefined
      try {
        rest = writeDirect(chunk)
      } catch (err) {
        closed = err as Error
        throw readerGoneOr(closed)
      }
      if (rest) await (viaStream().writeAndDrain as (chunk: string | Uint8Array) => Promise<void>)(rest)
    },
    get isTTY() {
      if (!stream && fd !== undefined && !mayBeTerminal(fd)) return false
      // A character device (a terminal, /dev/null) is asked through the stream, which then writes everything.
      direct = false
      return viaStream().isTTY
    },
  }
}

/** False for what cannot be a terminal (a pipe, a file, a socket, /dev/null), told without making the stream. */
function mayBeTerminal(fd: number): boolean {
  try {
    const stat = fstatSync(fd)
    if (!stat.isCharacterDevice()) return false
    // `> /dev/null` in a script is common, and is not a terminal either.
    return stat.rdev !== statSync('/dev/null').rdev
  } catch {
    return true
  }
}

/** What a write to a stream (or descriptor) whose reader went away fails with. */
const CLOSED_READER = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END'])

/** ReaderGoneError for a reader that went away (`| head -1`), else the error itself. */
function readerGoneOr(err: Error): Error {
  return CLOSED_READER.has((err as NodeJS.ErrnoException).code ?? '') ? new ReaderGoneError() : err
}

function wrapStream(stream: NodeJS.WriteStream): OutputStream {
  // A reader that goes away (`| head`) makes the stream emit EPIPE after a write already
  // returned: without a listener that is an uncaught 'error' and a stack trace. Later
  // writes are dropped (the stream is destroyed); a draining writer is told what ended it
  // (ReaderGoneError for a reader that went away, the error itself for a full disk).
  let failed: Error | undefined
  stream.on('error', (err) => void (failed ??= err))
  return {
    write: (chunk) => {
      stream.write(chunk)
    },
    writeAndDrain: (chunk) =>
      new Promise<void>((resolve, reject) => {
        if (stream.destroyed) return reject(failed ? readerGoneOr(failed) : new ReaderGoneError())
        const settle = (err?: Error | null): void => {
          stream.off('drain', onDrain)
          stream.off('error', settle)
          if (err) reject(readerGoneOr(err))
          else resolve()
        }
        const onDrain = (): void => settle()
        stream.on('error', settle)
        if (stream.write(chunk, (err) => err && settle(err))) settle()
        else stream.once('drain', onDrain)
      }),
    get isTTY() {
      return stream.isTTY === true
    },
  }
}

function abortError(message: string): Error {
  const err = new Error(message)
  err.name = 'AbortError'
  return err
}

/**
 * A growable text buffer over stdin. The stream flows only while a read is
 * waiting, and is paused in between so that the process can exit.
 */
class StdinReader {
  private text = ''
  private ended = false
  // Loaded with the first read of stdin: commands that never read it do not load string_decoder.
  private readonly decoder: StringDecoder = new (process.getBuiltinModule('node:string_decoder').StringDecoder)('utf8')

  constructor(private readonly stream: NodeJS.ReadStream) {}

  /** Waits for the next chunk; false at end of input. */
  pull(signal?: AbortSignal): Promise<boolean> {
    if (this.ended || this.stream.readableEnded) return Promise.resolve(this.finish())
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        this.stream.off('data', onData).off('end', onEnd).off('error', onEnd)
        signal?.removeEventListener('abort', onAbort)
        this.stream.pause()
        // A paused pipe still holds the event loop open; only a waiting read should.
        ;(this.stream as { unref?: () => void }).unref?.()
      }
      const onData = (chunk: Buffer | string): void => {
        this.text += typeof chunk === 'string' ? chunk : this.decoder.write(chunk)
        cleanup()
        resolve(true)
      }
      const onEnd = (): void => {
        cleanup()
        resolve(this.finish())
      }
      const onAbort = (): void => {
        cleanup()
        reject(signal?.reason ?? abortError('input cancelled'))
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      this.stream.on('data', onData).once('end', onEnd).once('error', onEnd)
      ;(this.stream as { ref?: () => void }).ref?.()
      this.stream.resume()
    })
  }

  private finish(): false {
    if (!this.ended) this.text += this.decoder.end()
    this.ended = true
    return false
  }

  /** Takes up to `count` characters already buffered. */
  take(count = this.text.length): string {
    const out = this.text.slice(0, count)
    this.text = this.text.slice(count)
    return out
  }

  /** Puts characters back in front (what a hidden read did not consume). */
  unshift(text: string): void {
    this.text = text + this.text
  }

  /** One line without its line ending; undefined at end of input with nothing left. */
  async readLine(signal?: AbortSignal): Promise<string | undefined> {
    for (;;) {
      const newline = this.text.indexOf('\n')
      if (newline !== -1) return this.take(newline + 1).replace(/\r?\n$/, '')
      if (!(await this.pull(signal))) return this.text ? this.take() : undefined
    }
  }

  async readAll(): Promise<string> {
    while (await this.pull());
    return this.take()
  }
}

const CTRL_C = '\u0003'
const CTRL_D = '\u0004'
const BACKSPACES = new Set(['\u007f', '\b'])

/**
 * Reads a line in raw mode without echo. Enter or Ctrl-D ends it, backspace
 * deletes, Ctrl-C rejects with an AbortError. Escape sequences (arrow keys) are dropped.
 */
async function readHidden(tty: NodeJS.ReadStream, reader: StdinReader, stderr: OutputStream, signal?: AbortSignal): Promise<string> {
  tty.setRawMode(true)
  const typed: string[] = []
  try {
    for (;;) {
      const outcome = consumeKeys(reader, typed)
      if (outcome === 'cancel') throw abortError('input cancelled')
      if (outcome === 'done') return typed.join('')
      if (!(await reader.pull(signal))) return typed.join('')
    }
  } finally {
    tty.setRawMode(false)
    stderr.write('\n')
  }
}

/** Applies the buffered keys to `typed`; leaves anything after Enter in the buffer. */
function consumeKeys(reader: StdinReader, typed: string[]): 'done' | 'cancel' | 'more' {
  const keys = [...reader.take()]
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    if (key === '\r' || key === '\n' || key === CTRL_D) {
      const skipLf = key === '\r' && keys[i + 1] === '\n' ? 1 : 0
      reader.unshift(keys.slice(i + 1 + skipLf).join(''))
      return 'done'
    }
    if (key === CTRL_C) return 'cancel'
    if (BACKSPACES.has(key)) typed.pop()
    else if (key === '\u001b') i += skipEscape(keys, i)
    else if (key >= ' ') typed.push(key)
  }
  return 'more'
}

/** Length of a CSI/SS3 escape sequence after the ESC at `start` (arrow keys and the like). */
function skipEscape(keys: string[], start: number): number {
  const next = keys[start + 1]
  if (next !== '[' && next !== 'O') return 0
  let i = start + 2
  while (i < keys.length && !/[@-~]/.test(keys[i] as string)) i++
  return i - start
}
