/**
 * Just enough PNG decoding to tell a rendered page from a blank one: 8-bit
 * RGB/RGBA, not interlaced (what Chromium's screenshots are). Chunks are read,
 * IDAT is inflated with node:zlib and the per-row filters are undone.
 * @see https://www.w3.org/TR/png-3/#9Filters
 */
import { inflateSync } from 'node:zlib'

export interface DecodedPng {
  width: number
  height: number
  /** Bytes per pixel: 3 (RGB) or 4 (RGBA). */
  channels: 3 | 4
  /** Unfiltered rows, `width * channels` bytes each, top to bottom. */
  pixels: Uint8Array
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

export function decodePng(png: Buffer): DecodedPng {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG')
  let header: { width: number; height: number; channels: 3 | 4 } | undefined
  const idat: Buffer[] = []
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at)
    const type = png.toString('latin1', at + 4, at + 8)
    const data = png.subarray(at + 8, at + 8 + length)
    if (type === 'IHDR') header = readHeader(data)
    else if (type === 'IDAT') idat.push(data)
    else if (type === 'IEND') break
    at += 12 + length
  }
  if (!header) throw new Error('PNG without IHDR')
  const pixels = unfilter(inflateSync(Buffer.concat(idat)), header.width, header.height, header.channels)
  return { ...header, pixels }
}

function readHeader(data: Buffer): { width: number; height: number; channels: 3 | 4 } {
  const [bitDepth, colorType, , , interlace] = [data[8], data[9], data[10], data[11], data[12]]
  if (bitDepth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0) {
    throw new Error(`unsupported PNG: bit depth ${bitDepth}, colour type ${colorType}, interlace ${interlace}`)
  }
  return { width: data.readUInt32BE(0), height: data.readUInt32BE(4), channels: colorType === 6 ? 4 : 3 }
}

function unfilter(raw: Buffer, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp
  const out = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]
    const src = y * (stride + 1) + 1
    const row = y * stride
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[row + x - bpp]! : 0
      const b = y > 0 ? out[row - stride + x]! : 0
      const c = x >= bpp && y > 0 ? out[row - stride + x - bpp]! : 0
      out[row + x] = (raw[src + x]! + predict(filter, a, b, c)) & 0xff
    }
  }
  return out
}

function predict(filter: number | undefined, a: number, b: number, c: number): number {
  switch (filter) {
    case 0:
      return 0
    case 1:
      return a
    case 2:
      return b
    case 3:
      return (a + b) >> 1
    case 4: {
      const p = a + b - c
      const pa = Math.abs(p - a)
      const pb = Math.abs(p - b)
      const pc = Math.abs(p - c)
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
    }
    default:
      throw new Error(`bad PNG row filter ${filter}`)
  }
}

export interface ColourStats {
  distinct: number
  /** Share (0–1) of pixels that differ from the most common colour. */
  nonBackground: number
}

/** How many colours the image has, and how much of it is not background. */
export function colourStats(image: DecodedPng): ColourStats {
  const counts = new Map<number, number>()
  const { pixels, channels } = image
  for (let i = 0; i < pixels.length; i += channels) {
    const rgb = (pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!
    counts.set(rgb, (counts.get(rgb) ?? 0) + 1)
  }
  const total = pixels.length / channels
  const background = Math.max(...counts.values())
  return { distinct: counts.size, nonBackground: (total - background) / total }
}
