export { parseConfig, type Config } from "./config.ts";
export { startServer, openDatabase, createContext, createLogger, type RunningServer } from "./main.ts";
export { createProgram } from "./app/programs/create-program.ts";
/** What POST /v1/programs and POST /v1/keys accept: the CLI checks `programs create` and `keys create` against them too. */
export { KeyCreate, ProgramCreate } from "./http/schemas.ts";
export { createKey } from "./app/keys/create-key.ts";
export { listKeys, revokeKey } from "./app/keys/manage-keys.ts";
export { findProgram } from "./app/programs/program-repo.ts";
export type { AppContext } from "./app/context.ts";
export type { Database } from "./db/connect.ts";
export { analyzeTables } from "./db/analyze.ts";
