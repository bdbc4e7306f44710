export type { StoredGuard, TripRecord } from '../../api-shapes/guard.ts'
