/**
 * Client keys get per-user results; every other key (server, admin) gets the rules. The prefix
 * is part of the key format (`cf_<kind>_…`), so no round trip is needed to pick the mode.
 */
export const isClientKey = (key: string): boolean => key.startsWith('cf_client_')
