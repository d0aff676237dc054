/**
 * Opaque page cursors: the last row's sortable id, base64url-encoded. Decoding checks the id's prefix,
 * so a cursor from one list cannot page another.
 */
export const encodeCursor = (id: string) => Buffer.from(id, "utf8").toString("base64url");
export function decodeCursor(cursor: string, prefix: string): string | null {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  return id.startsWith(`${prefix}_`) && /^[A-Za-z0-9_]+$/.test(id) ? id : null;
}
