// Avatar uploads (auth-and-users §5.7, DECISIONS 6 and 41): raster images only, stored under MEDIA_ROOT as
// users/<uuid>/avatar<ext>, never overwriting an existing file (Django adds a random suffix instead).
import { randomInt } from 'node:crypto'
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'

export const MAX_AVATAR_BYTES = 2 * 1024 * 1024
export const INVALID_IMAGE = 'Upload a valid image. The file you uploaded was either not an image or a corrupted image.'

type ImageKind = 'png' | 'jpeg' | 'gif' | 'webp'
const EXTENSIONS: Record<ImageKind, string[]> = { png: ['.png'], jpeg: ['.jpg', '.jpeg', '.jpe'], gif: ['.gif'], webp: ['.webp'] }

/** The raster format the bytes really are (with a minimal structural check), or null. The name and mimetype are not trusted. */
export function sniffImage(data: Buffer): ImageKind | null {
  if (data.length >= 24 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    // First chunk must be IHDR with a non-zero size.
    if (data.toString('latin1', 12, 16) !== 'IHDR') return null
    return data.readUInt32BE(16) > 0 && data.readUInt32BE(20) > 0 ? 'png' : null
  }
  if (data.length >= 4 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg'
  if (data.length >= 10 && /^GIF8[79]a$/.test(data.toString('latin1', 0, 6))) {
    return data.readUInt16LE(6) > 0 && data.readUInt16LE(8) > 0 ? 'gif' : null
  }
  if (data.length >= 16 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') {
    return /^VP8[ LX]$/.test(data.toString('latin1', 12, 16)) ? 'webp' : null
  }
  return null
}

/** The stored extension: the upload's own (lower-cased) when it fits the real format, else the format's usual one. */
export function extensionFor(kind: ImageKind, filename: string): string {
  const match = /(\.[A-Za-z0-9]+)$/.exec(filename)
  const ext = match ? match[1].toLowerCase() : ''
  return EXTENSIONS[kind].includes(ext) ? ext : EXTENSIONS[kind][0]
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const randomSuffix = () => Array.from({ length: 7 }, () => ALNUM[randomInt(ALNUM.length)]).join('')

/**
 * Writes the avatar and returns its relative storage path (`users/<uuid>/avatar.png`), the value of the
 * `avatar` column. The user id is a hyphenated UUID (no path characters); the file is created exclusively.
 */
export async function storeAvatar(mediaRoot: string, userUuid: string, ext: string, data: Buffer): Promise<string> {
  if (!/^[0-9a-f-]{36}$/.test(userUuid)) throw new Error('storeAvatar: bad user id')
  const dir = join(resolve(mediaRoot), 'users', userUuid)
  await mkdir(dir, { recursive: true })
  for (let attempt = 0; attempt < 10; attempt++) {
    const name = attempt === 0 ? `avatar${ext}` : `avatar_${randomSuffix()}${ext}`
    try {
      await writeFile(join(dir, name), data, { flag: 'wx' })
      return `users/${userUuid}/${name}`
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
  throw new Error('storeAvatar: no free file name')
}

/**
 * Removes a file storeAvatar wrote when the row that was to name it was never written (its transaction failed,
 * e.g. the database went away mid-request): no file outlives its row. Best effort; never throws.
 */
export async function discardAvatar(mediaRoot: string, storedPath: string): Promise<void> {
  if (!/^users\/[0-9a-f-]{36}\/[^/\\]+$/.test(storedPath)) return
  const file = join(resolve(mediaRoot), storedPath)
  await rm(file, { force: true }).catch(() => {})
  await rmdir(dirname(file)).catch(() => {}) // only when empty: the user's other files stay
}
