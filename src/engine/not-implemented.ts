// The 501 answer of every declared custom operation that has no handler yet.
import { ApiError } from './errors.js'

export function notImplemented(operationId: string) {
  return async (): Promise<never> => {
    throw new ApiError('not_implemented', { detail: `Not implemented: ${operationId}` })
  }
}
