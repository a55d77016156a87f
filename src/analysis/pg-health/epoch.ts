/**
 * Which server counted a PostgreSQL reading, as part of its epoch. Two servers' counters
 * must never be subtracted as if one's: a database entry whose URL now points at another
 * server (a failover, or the config changed under the same job id) may even have the same
 * stats_reset (null on both when neither was ever reset). The identity is the cluster's
 * system_identifier, its timeline (a promoted standby starts a new one) and the address
 * and port it serves on (a standby shares its primary's system_identifier).
 */

/** The epoch of a reading: the server's identity and when its statistics were last reset (null: never). */
export const pgEpoch = (server: string, reset: string | null): string => `${server} reset ${reset ?? 'never'}`;

/**
 * Whether a kept epoch was counted by `server`. When not (another server, or a reading kept
 * before the identity was part of the epoch), the previous reading is no baseline: the
 * counters are judged over their lifetime, and said to be.
 */
export const sameServer = (epoch: string | null, server: string): boolean =>
  epoch !== null && epoch.startsWith(`${server} reset `);
