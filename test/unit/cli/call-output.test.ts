import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { executeCall } from '../../../src/cli/commands/call'
import { HttpStatusError, UsageError } from '../../../src/cli/errors'
import { renderPrettyJson } from '../../../src/cli/json-render'
import { openOutputFile } from '../../../src/platform/files'
import { jsonResponse, recordingHttp } from '../../fakes'
import { callDeps, callOptions, stripAnsi } from './call-support'

const RAW_JSON = '{"id":7,  "name":"Ada","tags":["a","b"],"ok":true,"none":null}'

function answer(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }, status = 200) {
  return recordingHttp(() => new Response(body, { status, statusText: status === 200 ? 'OK' : '', headers }))
}

describe('call output on a pipe', () => {
  it('writes the exact response bytes, whitespace and all', async () => {
    const { deps } = await callDeps('acme', answer(RAW_JSON))
    expect(await executeCall(callOptions(), deps)).toBe(0)
    expect(deps.io.stdoutText).toBe(RAW_JSON)
  })

  it('passes non-UTF-8 bytes through untouched', async () => {
    const bytes = new Uint8Array([0xff, 0x00, 0x80, 0x41])
    const { deps } = await callDeps('acme', recordingHttp(() => new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } })))
    await executeCall(callOptions(), deps)
    expect(Buffer.concat(deps.io.out.map((c) => Buffer.from(c as Uint8Array)))).toEqual(Buffer.from(bytes))
  })
})

describe('call output on a terminal', () => {
  it('indents JSON without colour when colour is off (NO_COLOR, --no-color)', async () => {
    const { deps } = await callDeps('acme', answer(RAW_JSON), { tty: true, color: false })
    await executeCall(callOptions(), deps)
    expect(deps.io.stdoutText).toBe(`${JSON.stringify(JSON.parse(RAW_JSON), null, 2)}\n`)
  })

  it('colours keys and strings when colour is allowed, and the text is the same without the colours', async () => {
    const { deps } = await callDeps('acme', answer(RAW_JSON), { tty: true, color: true })
    await executeCall(callOptions(), deps)
    expect(deps.io.stdoutText).toContain('\u001b[34;1m"name"\u001b[0m')
    expect(deps.io.stdoutText).toContain('\u001b[32m"Ada"\u001b[0m')
    expect(stripAnsi(deps.io.stdoutText)).toBe(`${JSON.stringify(JSON.parse(RAW_JSON), null, 2)}\n`)
  })

  it('treats +json media types (JSON:API) as JSON', async () => {
    const { deps } = await callDeps('acme', answer('{"data":[]}', { 'content-type': 'application/vnd.api+json; charset=utf-8' }), { tty: true })
    await executeCall(callOptions(), deps)
    expect(deps.io.stdoutText).toBe('{\n  "data": []\n}\n')
  })

  it.each([
    ['text that is not JSON', '{"a":1}', 'text/plain'],
    ['a JSON content type with a broken body', '{"a":', 'application/json'],
  ])('leaves %s as it came', async (_what, body, type) => {
    const { deps } = await callDeps('acme', answer(body, { 'content-type': type }), { tty: true, color: true })
    await executeCall(callOptions(), deps)
    expect(deps.io.stdoutText).toBe(body)
  })

  it('never colours when stdout is piped, even with colour allowed on stderr', async () => {
    const { deps } = await callDeps('acme', answer(RAW_JSON), { tty: false, color: true })
    await executeCall(callOptions(), deps)
    expect(deps.io.stdoutText).toBe(RAW_JSON)
  })
})

describe('call -i', () => {
  it('prints the status line and redacted headers before the body', async () => {
    const http = answer(RAW_JSON, { 'content-type': 'application/json', 'set-cookie': 'sid=s3cr3t-cookie', 'x-request-id': 'r-1' })
    const { deps } = await callDeps('acme', http)
    await executeCall(callOptions({ include: true }), deps)
    const text = deps.io.stdoutText
    expect(text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true)
    expect(text).toContain('x-request-id: r-1\r\n')
    expect(text).not.toContain('s3cr3t-cookie')
    expect(text.endsWith(`\r\n\r\n${RAW_JSON}`)).toBe(true)
  })
})

describe('call -o <file>', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('writes the raw body to the file and nothing to stdout, even on a terminal', async () => {
    const written: Array<{ path: string; data: string }> = []
    const { deps } = await callDeps('acme', answer(RAW_JSON), { tty: true, color: true })
    await executeCall(callOptions({ output: 'out.json' }), deps, async (path) => {
      const entry = { path, data: '' }
      written.push(entry)
      return { write: async (data) => void (entry.data += Buffer.from(data).toString()), close: async () => {} }
    })
    expect(written).toEqual([{ path: 'out.json', data: RAW_JSON }])
    expect(deps.io.stdoutText).toBe('')
  })

  it('puts the headers in the file before the body with -i, as curl does', async () => {
    const { deps } = await callDeps('acme', answer(RAW_JSON))
    let written = ''
    await executeCall(callOptions({ output: 'out.json', include: true }), deps, async () => ({
      write: async (chunk) => void (written += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk)),
      close: async () => {},
    }))
    expect(deps.io.stdoutText).toBe('')
    expect(written).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n/)
    expect(written.endsWith(RAW_JSON)).toBe(true)
  })

  it('creates a real file readable by others (0644 before the umask)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'oauth-cli-call-'))
    const path = join(dir, 'body.json')
    const { deps } = await callDeps('acme', answer(RAW_JSON))
    await executeCall(callOptions({ output: path }), deps, openOutputFile)
    expect(await readFile(path, 'utf8')).toBe(RAW_JSON)
    expect((await stat(path)).mode & 0o777).toBe(0o644 & ~process.umask())
  })

  it('names the file when it cannot be written, before sending anything', async () => {
    const http = answer(RAW_JSON)
    const { deps } = await callDeps('acme', http)
    const error = await executeCall(callOptions({ output: '/nonexistent-dir/x.json' }), deps, openOutputFile).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as Error).message).toBe('cannot write the response body to /nonexistent-dir/x.json: the directory /nonexistent-dir does not exist')
    expect(http.calls).toHaveLength(0)
  })

  it.each([
    ['a missing directory', (d: string) => join(d, 'missing', 'x.json'), /^create the directory first, or pick another -o path; nothing was sent$/],
    ['a directory', (d: string) => d, /^-o names the file to write: give a file name, such as -o \S+body\.json; nothing was sent$/],
    ['a file as its directory', (d: string) => join(d, 'plain', 'x.json'), /^pick another -o path; nothing was sent$/],
  ])('says what to do for %s as -o, before sending anything', async (_case, pathIn, hint) => {
    dir = await mkdtemp(join(tmpdir(), 'oauth-cli-call-'))
    await writeFile(join(dir, 'plain'), '')
    const http = answer(RAW_JSON)
    const { deps } = await callDeps('acme', http)
    const error = await executeCall(callOptions({ output: pathIn(dir) }), deps, openOutputFile).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).hint).toMatch(hint)
    expect(http.calls).toHaveLength(0)
  })
})

describe('call errors', () => {
  it('prints the error body and exits 4 on an HTTP error status', async () => {
    const { deps } = await callDeps('acme', recordingHttp(() => jsonResponse(404, { error: 'nope' })))
    const error = await executeCall(callOptions(), deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpStatusError)
    expect((error as HttpStatusError).exitCode).toBe(4)
    expect(deps.io.stdoutText).toBe('{"error":"nope"}')
  })

  it('refuses --ndjson without --paginate', async () => {
    const { deps } = await callDeps('acme', answer(RAW_JSON))
    await expect(executeCall(callOptions({ ndjson: true }), deps)).rejects.toThrow(UsageError)
  })
})

describe('renderPrettyJson', () => {
  it('is JSON.stringify(v, null, 2) once the colours are stripped, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const expected = `${JSON.stringify(value, null, 2)}\n`
        expect(stripAnsi(renderPrettyJson(value, { color: true }))).toBe(expected)
        expect(renderPrettyJson(value, { color: false })).toBe(expected)
      }),
    )
  })
})
