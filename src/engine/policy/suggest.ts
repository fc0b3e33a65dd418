// "did you mean …?" for policy validation errors.

export function distance(a: string, b: string): number {
  a = a.toLowerCase()
  b = b.toLowerCase()
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]
}

/** Up to three candidates close to `word`, best first. */
export function closest(word: string, candidates: Iterable<string>): string[] {
  const limit = Math.max(2, Math.floor(word.length / 3))
  return [...new Set(candidates)]
    .map((c) => ({ c, d: distance(word, c) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, 3)
    .map((x) => x.c)
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  const best = closest(word, candidates)
  return best.length ? ` (did you mean ${best.map((b) => `"${b}"`).join(' or ')}?)` : ''
}
