/**
 * Which provider and profile a command was working on when an error escaped,
 * for messages (such as a network failure) that would not say it otherwise.
 * Kept apart from report.ts so that registering it costs nothing at start-up.
 */
export interface ErrorContext {
  provider: string
  profile: string
  /** The --store and --config the command was given, for the commands hints name (cli/errors.ts runHint). */
  store?: string
  config?: string
}

const contexts = new WeakMap<object, ErrorContext>()

export function rememberContext(err: unknown, context: ErrorContext): unknown {
  if (typeof err === 'object' && err !== null && !contexts.has(err)) contexts.set(err, context)
  return err
}

export function contextOf(err: unknown): ErrorContext | undefined {
  return typeof err === 'object' && err !== null ? contexts.get(err) : undefined
}
