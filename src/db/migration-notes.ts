// Messages raised inside migrations (which have no logger); migrateToLatest logs and clears them.
export interface MigrationNote {
  level: 'info' | 'warn'
  message: string
  data?: Record<string, unknown>
}

const notes: MigrationNote[] = []

export function noteMigrationWarning(message: string, data?: Record<string, unknown>): void {
  notes.push({ level: 'warn', message, data })
}

export function noteMigrationInfo(message: string, data?: Record<string, unknown>): void {
  notes.push({ level: 'info', message, data })
}

export function takeMigrationNotes(): MigrationNote[] {
  return notes.splice(0, notes.length)
}
