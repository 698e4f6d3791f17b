/** `oauth-cli call <provider> <path-or-url>`: curl-shaped authenticated requests. */
import type { Command } from 'commander'
import { appendHeader } from '../../http/client'
import { forEachChunk, MAX_BUFFERED_BODY_BYTES, readUpTo } from '../../http/body'
import { redactHeaders } from '../../http/redact'
import { insufficientScope } from '../../http/www-authenticate'
import { openOutputFile, OutputPathError, type OpenOutputFile } from '../../platform/files'
import { isReaderGone, reasonOf } from '../../platform/io'
import { TransportError } from '../../http/types'
import { parseJsonOrUndefined } from '../../platform/json'
import { apiErrorFix, apiErrorHints, describeQuota, exhaustedQuota, needsErrorBody } from '../../providers/quirks'
import type { ResolvedProvider } from '../../providers/types'
import {
  MAX_PAGES,
  openApiSession,
  replayed,
  sendPaginated,
  type ApiRequest,
  type ApiResponse,
  type ApiSession,
  type CallResume,
  type PageSink,
  type PaginatedOutcome,
} from '../../session/api-call'
import { resolveApiUrl } from '../../session/api-origin'
import { envTokenInUse, envTokenRefusedHint } from '../../session/env-credential'
import { PaginationError } from '../../session/paginate'
import { loadProvider } from '../../session/provider-context'
import { addCommonOptions, addFlags, readFlags, type CommandContext } from '../command-kit'
import type { Deps, Env } from '../deps'
import { CliError, HttpStatusError, runHint, UsageError, type ExitCode } from '../errors'
import { isJsonContentType, renderPrettyJson } from '../json-render'
import { CALL_FLAGS, type CommonOptions } from '../options'

export interface CallOptions extends CommonOptions {
  provider: string
  target: string
  method?: string
  headers: string[]
  data?: string
  jsonBody?: string
  query: string[]
  include: boolean
  paginate: boolean
  /** `-o <file>`: the body goes to this file (raw bytes), not stdout; `-` is stdout, as in curl. */
  output?: string
  /** With `--paginate`: one compact JSON item per line instead of one array. */
  ndjson: boolean
  /** `-f/--fail`: an HTTP error status prints no body (curl -f); the exit code is 4 either way. */
  fail?: boolean
  /** `-s/--silent`: accepted for curl users; nothing but the result is printed anyway. */
  silent?: boolean
}

export function defineCall(ctx: CommandContext, run: (opts: CallOptions, deps: Deps) => Promise<ExitCode> = executeCall): Command {
  const cmd = addCommonOptions(ctx.command('call', 'send an authenticated HTTP request; the response body goes to stdout').argument('<provider>').argument('<path-or-url>'), { json: false })
  return addFlags(cmd, CALL_FLAGS)
    .addHelpText('after', CALL_EXAMPLES)
    .action((provider: string, target: string, _o: unknown, cmd: Command) =>
      ctx.act(() => run({ ...ctx.common(cmd), json: false, provider, target, ...readFlags(cmd, CALL_FLAGS) }, ctx.deps), cmd, provider),
    )
}

const CALL_EXAMPLES = `
Examples:
  oauth-cli call livechat /v3.6/agent/action/list_chats -d '{}'
  oauth-cli call livestorm /events -q 'page[size]=10'
  oauth-cli call tidio /contacts -i
  oauth-cli call acme https://api.acme.example/v1/me -H 'Accept: text/plain'
  oauth-cli call livestorm /events --paginate > events.json
  oauth-cli call tidio /contacts --paginate --ndjson | jq -r .email
  oauth-cli call livechat /v3.6/agent/action/list_chats -d '{}' \\
    --paginate -o chats.json
`

/**
 * Builds the request from flags — pure. A path is joined to `api_base_url` and
 * an absolute URL must be on one of the provider's own origins
 * (session/api-origin.ts), so credentials are never sent elsewhere, by a typo or by a crafted path.
 */
export function buildApiRequest(opts: CallOptions, provider: ResolvedProvider, body: string | undefined): ApiRequest {
  if (opts.data !== undefined && opts.jsonBody !== undefined) throw new UsageError('use either -d/--data or --json, not both')
  const url = resolveApiUrl(opts.target, provider)
  for (const pair of opts.query) {
    const at = pair.indexOf('=')
    // "name=value", not "key=value": redaction (rightly) hides whatever follows "key=" in a message.
    if (at <= 0) throw new UsageError(`-q expects name=value, got "${pair}"`, { hint: "for example -q page=2, or -q 'filter[name]=x'" })
    url.searchParams.append(pair.slice(0, at), pair.slice(at + 1))
  }
  // The caller's own: the provider's api_headers and the credential are added under them at send time (session/api-call).
  const headers = callerHeaders(opts)
  const defaults = new Set(Object.keys(provider.config.api_headers ?? {}).map((name) => name.toLowerCase()))
  const unset = (name: string): boolean => headers[name] === undefined && !defaults.has(name)
  if (body !== undefined && unset('content-type')) {
    headers['content-type'] = opts.jsonBody !== undefined || looksLikeJson(body) ? 'application/json' : 'application/x-www-form-urlencoded'
  }
  // curl's --json asks for JSON back too; a provider's own Accept (Tidio's versioned one) is kept.
  if (opts.jsonBody !== undefined && unset('accept')) headers.accept = 'application/json'
  return { method: parseMethod(opts.method, body), url: url.toString(), headers, body }
}

/**
 * The -H headers, by lower-cased name. The same name given twice sends each
 * value as its own header line, as curl does: joined with ", " (RFC 9110
 * §5.3) would break Cookie (`; `) and any header that may not be combined.
 */
function callerHeaders(opts: Pick<CallOptions, 'headers'>): Record<string, string | string[]> {
  const given: Record<string, string | string[]> = {}
  for (const raw of opts.headers) {
    const [name, value] = parseHeaderFlag(raw)
    appendHeader(given, name, value)
  }
  return given
}

/**
 * Whether the caller gave an Authorization with -H (the request's headers are
 * the caller's, from buildApiRequest): it replaces the stored credential for
 * the request (SPEC, "Conventions"), which is then neither loaded nor
 * refreshed, and a 401 is that header's. A provider's api_headers never do:
 * the credential is sent over them.
 */
function givesAuthorization(request: ApiRequest): boolean {
  return request.headers.authorization !== undefined
}

/** RFC 9110 §5.6.2 `token`: what a header name and a method may be made of. */
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** RFC 9110 §5.5: no CR, LF, NUL or other control character (tab aside) in a field value. */
const FIELD_VALUE_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/

/** `-H 'Name: value'`, checked here so that a CR/LF (header injection) is the user's error, exit 2. */
function parseHeaderFlag(raw: string): [string, string] {
  // A malformed -H is often a credential typed without its colon (-H "Authorization Bearer …"): never repeat its text.
  const example = { hint: "for example -H 'Accept: application/json' (the text given is not repeated: it may hold a secret)" }
  const at = raw.indexOf(':')
  if (at <= 0) throw new UsageError("-H expects 'Name: value', and one -H has no ':' after a header name", example)
  const name = raw.slice(0, at).trim()
  const value = raw.slice(at + 1).trim()
  if (!HTTP_TOKEN.test(name)) throw new UsageError("-H expects 'Name: value', and one -H has no valid HTTP header name before its ':'", example)
  if (FIELD_VALUE_CONTROL.test(value)) {
    throw new UsageError(`-H ${JSON.stringify(name)} has a line break or control character in its value, which HTTP does not allow`, {
      hint: 'pass each header as its own -H, on one line',
    })
  }
  return [name.toLowerCase(), value]
}

/** `-X`: an RFC 9110 method token (`TRACE ` or `G E T` is a typo, exit 2, not a network failure). */
function parseMethod(flag: string | undefined, body: string | undefined): string {
  const method = flag ?? (body !== undefined ? 'POST' : 'GET')
  if (!HTTP_TOKEN.test(method)) {
    throw new UsageError(`-X ${JSON.stringify(method)} is not an HTTP method`, { hint: 'pass a method such as GET, POST, PUT, PATCH or DELETE' })
  }
  return method.toUpperCase()
}

function looksLikeJson(text: string): boolean {
  return parseJsonOrUndefined(text) !== undefined
}

/** Reads `-d`/`--json` values: text, `@file`, or `@-` for stdin. */
export async function readBody(opts: CallOptions, deps: Deps): Promise<string | undefined> {
  const spec = opts.jsonBody ?? opts.data
  if (spec === undefined) return undefined
  if (spec === '@-') return deps.io.readStdin()
  if (spec.startsWith('@')) {
    const text = await deps.readTextFile(spec.slice(1))
    if (text === undefined) {
      throw new UsageError(`cannot read the body file ${spec.slice(1)}: it does not exist`, {
        hint: 'after @ give the path of an existing file, or @- to read the body from stdin',
      })
    }
    return text
  }
  return spec
}

/**
 * Loads the provider, builds the request from flags (reading a body from a
 * file or stdin), then opens the session that sends it with a fresh credential.
 */
async function openCall(opts: CallOptions, deps: Deps, resume?: CallResume): Promise<{ session: ApiSession; request: ApiRequest }> {
  const provider = await loadProvider(opts.provider, { config: opts.config }, deps)
  const request = buildApiRequest(opts, provider, await readBody(opts, deps))
  return { session: await openApiSession(provider, { ...opts, ownAuthorization: givesAuthorization(request) }, deps, resume), request }
}

export async function runCall(opts: CallOptions, deps: Deps, resume?: CallResume): Promise<ApiResponse> {
  const { session, request } = await openCall(opts, deps, resume)
  return session.send(request)
}

/** `--paginate` (session/api-call): items to `onItems` page by page; pages that cannot be followed exit 1. */
export async function runPaginatedCall(
  opts: CallOptions,
  deps: Deps,
  onItems: PageSink,
  limits: { maxPages: number } = { maxPages: MAX_PAGES },
): Promise<PaginatedOutcome> {
  const { session, request } = await openCall(opts, deps)
  try {
    return await sendPaginated(session, request, onItems, limits)
  } catch (err) {
    if (err instanceof PaginationError) throw new CliError(err.message, { hint: err.hint })
    throw err
  }
}

/**
 * `-i`'s head: the status line and the headers, redacted as the --verbose trace redacts them: by
 * name, and every secret value this process knows (the credential sent, its refresh token, a
 * static credential's parts), so a server that echoes the token puts no stored secret on stdout.
 */
export function formatIncluded(response: Pick<ApiResponse, 'status' | 'statusText' | 'headers'>, known: readonly string[] = []): string {
  const lines = [`HTTP/1.1 ${response.status} ${response.statusText}`.trimEnd()]
  for (const [name, value] of Object.entries(redactHeaders(response.headers, known))) lines.push(`${name}: ${value}`)
  return `${lines.join('\r\n')}\r\n\r\n`
}

/** Where the body goes: stdout (pretty when it is a terminal) or the `-o` file (always raw), with back-pressure. */
interface BodySink {
  /** Where the body goes, for a message: `stdout`, or the -o path. */
  where: string
  terminal: boolean
  color: boolean
  /** undefined when the data was taken at once, else a promise to wait for before the next write. */
  write(data: string | Uint8Array): Promise<void> | undefined
  close(): Promise<void>
}

function bodySink(opts: CallOptions, deps: Deps, openFile: OpenOutputFile): BodySink {
  const path = opts.output
  if (path === undefined) {
    const terminal = deps.io.stdout.isTTY
    const { stdout } = deps.io
    return {
      where: 'stdout',
      terminal,
      color: terminal && deps.io.color,
      write: async (data) => {
        try {
          await (stdout.writeAndDrain ? stdout.writeAndDrain(data) : stdout.write(data))
        } catch (err) {
          if (isReaderGone(err)) throw err
          throw new CliError(`cannot write the response body to stdout: ${reasonOf(err)}`)
        }
      },
      close: async () => {},
    }
  }
  let file: Promise<Awaited<ReturnType<OpenOutputFile>>> | undefined
  let opened: Awaited<ReturnType<OpenOutputFile>> | undefined
  const failed = (err: unknown): CliError =>
    new CliError(`cannot write the response body to ${path}: ${reasonOf(err)}`, { hint: 'check that the directory exists and is writable' })
  const fail = (err: unknown): never => {
    throw failed(err)
  }
  return {
    where: path,
    terminal: false,
    color: false,
    // No promise per chunk once the file is open: the body streams from the socket's events (http/body's forEachChunk).
    write: (data) => {
      if (!opened) return (file ??= openFile(path)).then((handle) => void (opened = handle)).then(() => opened?.write(data)).catch(fail)
      try {
        return opened.write(data)?.catch(fail)
      } catch (err) {
        return fail(err)
      }
    },
    close: async () => {
      try {
        // An empty body still makes the (empty) file, as curl does.
        await (await (file ??= openFile(path))).close()
      } catch (err) {
        throw failed(err)
      }
    },
  }
}

/** `-i`'s status line and headers: where the body goes (the -o file, as curl does) or stdout. */
async function writeHead(head: string, opts: CallOptions, deps: Deps, sink: BodySink): Promise<void> {
  if (opts.output !== undefined) await sink.write(head)
  else deps.io.stdout.write(head)
}

/**
 * A single response body: on a terminal, JSON (by Content-Type) is indented and
 * coloured where allowed (read whole, bounded); piped or to a file, the exact
 * bytes, written as they arrive.
 */
async function writeBody(response: ApiResponse, sink: BodySink): Promise<void> {
  if (sink.terminal && isJsonContentType(response.headers.get('content-type'))) {
    const { bytes, chunks } = await readUpTo(response.chunks(), MAX_BUFFERED_BODY_BYTES)
    // Too large to indent: the exact bytes, as piped.
    if (!bytes) return writeBody({ ...response, chunks: () => chunks }, { ...sink, terminal: false })
    let pretty: string | undefined
    try {
      pretty = renderPrettyJson(JSON.parse(new TextDecoder().decode(bytes)), { color: sink.color })
    } catch {
      pretty = undefined
    }
    await sink.write(pretty ?? bytes)
    return
  }
  // Written as the bytes arrive (issue 14): a body is never held back for a status that reads
  // none of it (the error bodies api_error_hints read are buffered before, by bufferedIfExplained).
  let written = 0
  try {
    await forEachChunk(response.chunks(), (chunk) => {
      written += chunk.byteLength
      return sink.write(chunk)
    })
  } catch (err) {
    throw written > 0 && err instanceof TransportError ? cutShort(err, written, sink) : err
  }
}

/** A body that broke off after some of it was written: the same failure (exit 5), saying the output is incomplete. */
function cutShort(err: TransportError, written: number, sink: BodySink): TransportError {
  const { proxyVariable, proxyStatus, proxyProblem } = err
  return new TransportError(err.kind, err.url, `${err.message}; the body broke off after ${written} bytes, so ${sink.where} holds only part of it`, {
    cause: err,
    ...(proxyVariable !== undefined ? { proxyVariable } : {}),
    ...(proxyStatus !== undefined ? { proxyStatus } : {}),
    ...(proxyProblem !== undefined ? { proxyProblem } : {}),
  })
}

/** One compact item per line (--ndjson). */
export function formatNdjson(items: readonly unknown[]): string {
  return items.map((item) => `${JSON.stringify(item)}\n`).join('')
}

export async function executeCall(
  opts: CallOptions,
  deps: Deps,
  openFile: OpenOutputFile = openOutputFile,
  resume?: CallResume,
): Promise<ExitCode> {
  // curl's `-o -`: stdout, for every reader below (a file named "-" is `-o ./-`).
  if (opts.output === '-') opts = { ...opts, output: undefined }
  if (opts.ndjson && !opts.paginate) {
    throw new UsageError('--ndjson prints the merged items of --paginate', { hint: 'add --paginate, or drop --ndjson' })
  }
  // Before anything is sent: a POST must not happen only for its answer to have nowhere to go.
  if (opts.output !== undefined && openFile.check) {
    const path = opts.output
    await openFile.check(path).catch((err: unknown) => {
      throw new UsageError(`cannot write the response body to ${path}: ${reasonOf(err)}`, {
        hint: `${err instanceof OutputPathError ? err.fix : 'pick another -o path'}; nothing was sent`,
      })
    })
  }
  const sink = bodySink(opts, deps, openFile)
  if (opts.paginate) return executePaginated(opts, deps, sink)
  const { session, request } = await openCall(opts, deps, resume)
  const response = await bufferedIfExplained(await session.send(request), session.provider)
  // -i with -o: the head goes into the file before the body, as curl does.
  if (opts.include) await writeHead(formatIncluded(response, deps.secrets.values()), opts, deps, sink)
  if (opts.fail && response.status >= 400) await response.discard()
  else {
    await writeBody(response, sink).catch(async (err: unknown) => {
      // `| head -1` has its line: the rest is not read, and the status still decides the exit code.
      if (!isReaderGone(err)) throw err
      await response.discard()
    })
  }
  await sink.close()
  if (response.status >= 400) {
    throw httpStatusError(opts, response, undefined, deps.env, false, { provider: session.provider, request, now: deps.clock.now() })
  }
  return 0
}

/**
 * Items go out as each page arrives: one per line with --ndjson, else one
 * compact JSON array whose brackets open with the first page and close after
 * the last. On a terminal (indented, coloured) and with -i (each page's head
 * first), the items are gathered and printed at the end, as before.
 */
async function executePaginated(opts: CallOptions, deps: Deps, sink: BodySink): Promise<ExitCode> {
  const gather = sink.terminal || opts.include
  const gathered: unknown[] = []
  const heads: string[] = []
  /** Whether items went out already (then nothing else may be mixed into them). */
  let opened = false
  const onItems: PageSink = async (items, page) => {
    if (opts.include) heads.push(formatIncluded(page, deps.secrets.values()))
    if (gather) {
      for (const item of items) gathered.push(item)
      return
    }
    if (opts.ndjson) {
      if (items.length === 0) return
      opened = true
      await sink.write(formatNdjson(items))
      return
    }
    const body = items.map((item) => JSON.stringify(item)).join(',')
    if (!opened) {
      opened = true
      await sink.write(`[${body}`)
    } else if (body !== '') {
      await sink.write(`,${body}`)
    }
  }
  const outcome = await runPaginatedCall(opts, deps, onItems)
  if (opts.include) for (const head of heads) await writeHead(head, opts, deps, sink)
  if (outcome.kind === 'not_a_list') {
    // Not a paginated endpoint: the body is the answer, printed as a single call prints it.
    if (opts.include) await writeHead(formatIncluded(outcome.response, deps.secrets.values()), opts, deps, sink)
    await sink.write(outcome.body)
    await sink.close()
    deps.io.stderr.write(`oauth-cli: note: ${opts.provider} answered with a body that is not a list (${outcome.reason}), so there are no pages to follow; printed it as it is\n`)
    return 0
  }
  if (outcome.kind === 'http_error') {
    const response = await bufferedIfExplained(outcome.response, outcome.provider)
    if (opts.include) await writeHead(formatIncluded(response, deps.secrets.values()), opts, deps, sink)
    // Nothing printed yet (the first page failed, or everything was gathered): the failing body, as for a single call.
    if (!opened && !opts.fail) await writeBody(response, sink)
    else await response.discard()
    await sink.close()
    throw httpStatusError(opts, response, outcome.pages + 1, deps.env, opened, { provider: outcome.provider, request: outcome.request, now: deps.clock.now() })
  }
  if (gather) {
    await sink.write(opts.ndjson ? formatNdjson(gathered) : sink.terminal ? renderPrettyJson(gathered, { color: sink.color }) : `${JSON.stringify(gathered)}\n`)
  } else if (!opts.ndjson) {
    await sink.write(opened ? ']\n' : '[]\n')
  }
  await sink.close()
  if (outcome.truncated) {
    deps.io.stderr.write(
      `oauth-cli: stopped after ${outcome.pages} pages (${outcome.items} items); narrow the request to get the rest\n`,
    )
  }
  return 0
}

/**
 * An error answer whose meaning the provider's `api_error_hints` read from the
 * body (error bodies are small): buffered once, so it can be both shown and
 * read. One past MAX_BUFFERED_BODY_BYTES is not read by the hints, and still
 * goes to stdout whole, streamed: it is the server's answer (exit 4), not a network failure.
 */
async function bufferedIfExplained(response: ApiResponse, provider: ResolvedProvider): Promise<ApiResponse & { body?: Uint8Array }> {
  if (response.status < 400 || !needsErrorBody(provider.config.api_error_hints, response.status)) return response
  const { bytes, chunks } = await readUpTo(response.chunks(), MAX_BUFFERED_BODY_BYTES)
  if (bytes) return { ...replayed(response, bytes), body: bytes }
  return { ...response, chunks: () => chunks }
}

/**
 * RFC 6750 §3.1 insufficient_scope: the token is good and lacks a scope, which no refresh adds
 * (none was tried); a login asking for the scope does. `needed` is the server's `scope=`.
 */
function missingScopeHint(opts: CallOptions, needed: string | undefined, fromEnv: boolean): string {
  const what = needed === undefined ? 'a scope this request needs (the server did not say which)' : `the scope this request needs (${needed})`
  const login = runHint('login', opts.provider, opts.profile, ` --scope ${needed ?? '<scope>'} <the other scopes you use>`, opts)
  const source = fromEnv ? 'get a token with that scope into the environment variable, or ' : ''
  return `the token lacks ${what}, and a refresh cannot add scope: ${source}log in again asking for it, ${login}`
}

/**
 * Exit 4, saying what the answer means where the provider's data knows: a spent
 * quota (`rate_limit_quota`) and its reset, and every `api_error_hints` entry
 * that fits (LiveChat's misdirected_request region, a plan without API access).
 */
function httpStatusError(
  opts: CallOptions,
  response: ApiResponse & { body?: Uint8Array },
  page: number | undefined,
  env: Env,
  partial: boolean,
  explain: { provider: ResolvedProvider; request: ApiRequest; now: number },
): HttpStatusError {
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`
  const where =
    page === undefined
      ? ''
      : partial
        ? ` on page ${page}; the items of the pages before it were printed, so the output is incomplete`
        : ` on page ${page}; no merged items were printed`
  const config = explain.provider.config
  const quota = exhaustedQuota(config.rate_limit_quota, response.status, response.headers, explain.now)
  const meaning = [
    ...(quota ? [describeQuota(quota, explain.now)] : []),
    ...apiErrorHints(config.api_error_hints, response.status, response.body ?? ''),
  ]
  const fromEnv = envTokenInUse(opts.provider, env)
  const refused = response.status === 401 || response.status === 403
  const scope = refused ? insufficientScope(response.headers) : undefined
  // What the provider's data says fixes this answer (Tidio's plan without the OpenAPI: no login does).
  const fix = apiErrorFix(config.api_error_hints, response.status, response.body ?? '')
  const hint =
    // The -H Authorization replaced the stored credential: it is the one refused, and logging in again would not change that.
    refused && givesAuthorization(explain.request)
      ? 'the Authorization header given with -H was refused (it replaces the stored credential for this request); drop it to use the stored one'
      : fix !== undefined
        ? fix
      : scope
        ? missingScopeHint(opts, scope.scope, fromEnv !== undefined)
      : response.status === 401 && fromEnv
      ? envTokenRefusedHint(fromEnv)
      : quota
        ? `wait for the reset, or ask ${config.display_name ?? opts.provider} for a higher quota; retrying now cannot help`
        : response.status === 401 || response.status === 403
          ? `the credentials were refused; check the scopes, or ${runHint('login', opts.provider, opts.profile, '', opts)}`
          : undefined
  return new HttpStatusError(
    response.status,
    `${opts.provider} answered ${status}${where}${meaning.length > 0 ? `: ${meaning.join('. ')}` : ''}`,
    hint === undefined ? {} : { hint },
  )
}
