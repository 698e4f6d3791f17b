/**
 * The sandbox's small protected API: `/api/me` and a paginated `/api/items`.
 * Both want a valid Bearer token with the right scope.
 * @see https://www.rfc-editor.org/rfc/rfc6750
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { requestUrl, sendJson, type Handler, type SandboxContext } from './http'
import { listItems, parsePageRequest } from './items'
import { SANDBOX_USER } from './state'

const REALM = 'realm="oauth-cli sandbox"'

/** Why a request may not call the API, as RFC 6750 §3 answers it. */
function refuse(res: ServerResponse, kind: 'missing' | 'invalid' | 'scope', detail: string): void {
  switch (kind) {
    case 'missing':
      // RFC 6750 §3.1: a request with no credentials gets the challenge without an error code.
      return sendJson(res, 401, { error: 'unauthorized', error_description: detail }, { 'WWW-Authenticate': `Bearer ${REALM}` })
    case 'invalid':
      return sendJson(res, 401, { error: 'invalid_token', error_description: detail }, {
        'WWW-Authenticate': `Bearer ${REALM}, error="invalid_token", error_description="${detail}"`,
      })
    case 'scope':
      return sendJson(res, 403, { error: 'insufficient_scope', error_description: `this call needs the ${detail} scope` }, {
        'WWW-Authenticate': `Bearer ${REALM}, error="insufficient_scope", scope="${detail}"`,
      })
    default: {
      const never: never = kind
      throw new Error(`unexpected refusal ${String(never)}`)
    }
  }
}

/** The token's scope when it may make this call; otherwise the refusal has been sent. */
function authorize(req: IncomingMessage, res: ServerResponse, ctx: SandboxContext, needed: string): string[] | undefined {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(req.headers.authorization ?? '')
  if (!match?.[1]) return void refuse(res, 'missing', 'send Authorization: Bearer <access token>')
  const check = ctx.state.checkBearer(match[1])
  if (!check.ok) return void refuse(res, 'invalid', check.description)
  if (!check.scope.includes(needed)) return void refuse(res, 'scope', needed)
  return check.scope
}

export const handleMe: Handler = async (req, res, ctx) => {
  const scope = authorize(req, res, ctx, 'profile')
  if (!scope) return
  sendJson(res, 200, { ...SANDBOX_USER, scope: scope.join(' ') })
}

/** JSON:API-style errors, as Livestorm's API answers a bad page. */
function badRequest(res: ServerResponse, detail: string): void {
  sendJson(res, 400, { errors: [{ status: '400', title: 'Bad Request', detail }] })
}

export const handleItems: Handler = async (req, res, ctx) => {
  if (!authorize(req, res, ctx, 'items:read')) return
  const page = parsePageRequest(requestUrl(req, ctx.url).searchParams)
  if (!page.ok) return badRequest(res, page.detail)
  const listed = listItems(page.number, page.size)
  if (!listed.ok) return badRequest(res, listed.detail)
  sendJson(res, 200, { data: listed.data, meta: listed.meta })
}
