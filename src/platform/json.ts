/** JSON.parse for text that may not be JSON. */

/**
 * The parsed value, or undefined when the text is not JSON (no JSON text
 * parses to undefined, so the two cannot be confused).
 */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
