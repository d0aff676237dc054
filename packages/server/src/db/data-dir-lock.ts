import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { resolve } from "node:path";

/**
 * One process per PGlite data directory. PGlite runs the database inside the process that opens it
 * and takes no lock of its own: a second `patron serve` (or `patron migrate`) on the same directory
 * started and wrote beside the first, two PostgreSQL instances on one set of files. The lock is a
 * file next to the directory (`.patron.lock` for `.patron`; inside it, initdb would find the new
 * directory not empty) holding the owner's pid. A lock whose process is gone (kill -9) is taken over.
 *
 * Returns the release function; throws DataDirInUse when a live process holds the directory.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = `${resolve(dataDir)}.lock`;
  // This process's own lock is refused too. A file with this pid that this process did not write is
  // a dead process's whose pid came back (a container restarted after kill -9 often gets the same one).
  if (HELD.has(file)) throw new DataDirInUse(resolve(dataDir), process.pid, file);
  const mine = String(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, mine);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw e;
      const owner = Number(readText(file));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) throw new DataDirInUse(resolve(dataDir), owner, file);
      removeIf(file, () => true); // stale: its process is gone
    }
  }
  HELD.add(file);
  const release = () => removeIf(file, (text) => text === mine);
  // A process that exits without closing the database (process.exit after an error) still lets go.
  process.once("exit", release);
  return () => {
    if (!HELD.delete(file)) return;
    process.removeListener("exit", release);
    release();
  };
}

/** The lock files this process holds. */
const HELD = new Set<string>();

export class DataDirInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    lockFile: string,
  ) {
    super(`The data directory ${dataDir} is in use by process ${pid} (a Patron server or command): stop it first, or set PATRON_DATA_DIR to another directory. If no such process runs Patron, delete ${lockFile}.`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // alive, someone else's
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function removeIf(file: string, test: (text: string) => boolean): void {
  try {
    if (test(readText(file))) unlinkSync(file);
  } catch {
    // already gone
  }
}
