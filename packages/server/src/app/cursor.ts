/**
 * Opaque page cursors: the last row's sortable id, base64url-encoded. Decoding checks the id's prefix,
 * so a cursor from one list cannot page another, and its shape: a ULID (26 Crockford base32
 * characters) unless the list says otherwise. Ids made in one millisecond share their first
 * characters, so a truncated cursor still named a place in the list, just before the row it was cut
 * from: the next page repeated rows already seen.
 */
export const encodeCursor = (id: string) => Buffer.from(id, "utf8").toString("base64url");
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export function decodeCursor(cursor: string, prefix: string, rest: RegExp = ULID): string | null {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  return id.startsWith(`${prefix}_`) && rest.test(id.slice(prefix.length + 1)) ? id : null;
}
