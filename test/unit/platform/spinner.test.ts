import { describe, expect, it } from 'vitest'
import { createSpinner } from '../../../src/platform/spinner'
import { BufferIO } from '../../fakes'

/** A timer the test fires by hand, and a clock it moves by hand. */
function manual() {
  const ticks: Array<() => void> = []
  let cancelled = 0
  let time = 1_000_000
  return {
    every: (_ms: number, tick: () => void) => {
      ticks.push(tick)
      return () => void cancelled++
    },
    now: () => time,
    advance: (ms: number) => void (time += ms),
    fire: () => ticks.forEach((tick) => tick()),
    get cancelled() {
      return cancelled
    },
  }
}

function terminal(color = false): BufferIO {
  const io = new BufferIO()
  io.stderr.isTTY = true
  io.color = color
  return io
}

describe('spinner on a terminal', () => {
  it('redraws one line in place with the elapsed seconds, and erases it on stop', () => {
    const io = terminal()
    const t = manual()
    const spinner = createSpinner(io, { label: 'Waiting for the browser', now: t.now, every: t.every })
    expect(io.err).toEqual(['\r\u001b[2K⠋ Waiting for the browser (0s)'])
    t.advance(2_500)
    t.fire()
    expect(io.err.at(-1)).toBe('\r\u001b[2K⠙ Waiting for the browser (2s)')
    spinner.update('Ctrl-C to cancel')
    expect(io.err.at(-1)).toBe('\r\u001b[2K⠙ Waiting for the browser Ctrl-C to cancel (2s)')
    spinner.stop('Logged in.')
    expect(io.err.slice(-2)).toEqual(['\r\u001b[2K', 'Logged in.\n'])
    expect(t.cancelled).toBe(1)
  })

  it('does nothing after stop, and stops once', () => {
    const io = terminal()
    const t = manual()
    const spinner = createSpinner(io, { label: 'x', now: t.now, every: t.every })
    spinner.stop()
    const written = io.err.length
    spinner.update('late')
    spinner.stop('again')
    expect(io.err).toHaveLength(written)
    expect(t.cancelled).toBe(1)
  })

  it('colours the frame only when colour is allowed', () => {
    const io = terminal(true)
    const t = manual()
    createSpinner(io, { label: 'x', now: t.now, every: t.every }).stop()
    expect(io.err[0]).toBe('\r\u001b[2K\u001b[36m⠋\u001b[39m x \u001b[2m(0s)\u001b[22m')
  })

  it('runs with the real timer without keeping the process alive', () => {
    const io = terminal()
    const spinner = createSpinner(io, { label: 'x', intervalMs: 5 })
    spinner.stop()
    expect(io.err.at(-1)).toBe('\r\u001b[2K')
  })
})

describe('spinner off a terminal', () => {
  it('prints plain lines: the label, each new text once, and the final line, with no escape codes', () => {
    const io = new BufferIO()
    const t = manual()
    const spinner = createSpinner(io, { label: 'Waiting for the browser…', now: t.now, every: t.every })
    spinner.update('open https://example.test/authorize by hand')
    spinner.update('open https://example.test/authorize by hand')
    spinner.stop('Logged in.')
    expect(io.stderrText).toBe('Waiting for the browser…\nopen https://example.test/authorize by hand\nLogged in.\n')
    expect(t.fire).not.toThrow()
    expect(io.stderrText).not.toContain('\u001b')
  })
})
