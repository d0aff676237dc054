/** The node flags Patron's processes start with (see node-flags.js). Throws on a bad PATRON_MAX_HEAP_MB. */
export function nodeFlags(env: Record<string, string | undefined>): string[];
