/**
 * Output on an unusual stdout, as scripts and shells hand it over: a pipe whose
 * reader already went away (`| head -0`, a closed consumer) and a non-blocking
 * pipe that is full. The fast answers write straight to the file descriptor;
 * neither case may crash with a stack trace, lose or repeat output, or change
 * the exit code. The pipes are FIFOs in a temp directory, so the reader's state
 * is set before the CLI starts.
 */
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CLI_BIN, REPO_ROOT, testPath, type CliRun } from '../support/run-cli'

const VERSION = (JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { version: string }).version

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oauth-cli-pipe-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** Runs the CLI with `stdoutFd` as its stdout (stdin empty, stderr captured). */
function runWithStdout(args: string[], stdoutFd: number, extraEnv: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: dir,
      env: { PATH: testPath(), HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data'), XDG_STATE_HOME: join(dir, 'state'), ...extraEnv },
      stdio: ['ignore', stdoutFd, 'pipe'],
    })
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`oauth-cli ${args.join(' ')} did not end within 20 s; stderr: ${stderr}`))
    }, 20_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ exitCode: code, stdout: '', stderr })
    })
  })
}

/** A FIFO: opening its read end without blocking lets the write end open at once. */
function fifo(): { path: string; reader: number } {
  const path = join(dir, 'out.fifo')
  execFileSync('mkfifo', [path])
  return { path, reader: openSync(path, constants.O_RDONLY | constants.O_NONBLOCK) }
}

describe.skipIf(process.platform === 'win32')('output on an unusual stdout', () => {
  it.each([[['--version']], [['-V']], [['version']], [['--help']], [['help', 'token']], [['token', '-h']]])(
    '%j to a pipe whose reader is gone: exit 0, no stack trace',
    async (args) => {
      const { path, reader } = fifo()
      const writer = openSync(path, constants.O_WRONLY)
      closeSync(reader)
      try {
        const run = await runWithStdout(args, writer)
        expect(run.stderr).toBe('')
        expect(run.exitCode).toBe(0)
      } finally {
        closeSync(writer)
      }
    },
  )

  it('--version when the direct write meets a full non-blocking stdout (EAGAIN) part-way: the rest follows, once, exit 0', async () => {
    // Fault injection: the first write to fd 1 takes 5 bytes, the next finds the pipe full (as a
    // non-blocking pipe would; a child that Node spawns always gets blocking stdio, so it is simulated).
    const inject = join(dir, 'eagain.cjs')
    writeFileSync(
      inject,
      "const fs = require('node:fs'); const write = fs.writeSync; let calls = 0;\n" +
        'fs.writeSync = function (fd, buffer, offset = 0, length = buffer.length - offset, ...rest) {\n' +
        '  if (fd !== 1) return write.call(this, fd, buffer, offset, length, ...rest)\n' +
        '  if (++calls === 1) return write.call(this, fd, buffer, offset, Math.min(5, length))\n' +
        "  throw Object.assign(new Error('EAGAIN: resource temporarily unavailable, write'), { code: 'EAGAIN', errno: -11, syscall: 'write' })\n" +
        '}\n',
    )
    const { path, reader } = fifo()
    const writer = openSync(path, constants.O_WRONLY)
    const drained = new Promise<Buffer>((resolve, reject) => {
      const cat = spawn('cat', [], { stdio: [openSync(path, constants.O_RDONLY), 'pipe', 'ignore'] })
      const chunks: Buffer[] = []
      cat.stdout!.on('data', (c: Buffer) => chunks.push(c))
      cat.on('error', reject)
      cat.on('close', () => resolve(Buffer.concat(chunks)))
    })
    closeSync(reader)
    const running = runWithStdout(['--version'], writer, { NODE_OPTIONS: `--require ${inject}` })
    closeSync(writer)
    const run = await running
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    expect((await drained).toString()).toBe(`oauth-cli ${VERSION}\n`)
  })
})
