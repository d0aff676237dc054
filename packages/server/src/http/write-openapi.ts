/**
 * Writes the committed copy of the OpenAPI document (`npm run openapi`), or with `--check` fails
 * when the committed copy is stale (CI runs that).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createApp } from "./app.ts";
import { openApiDocument } from "./openapi.ts";
import type { HttpDeps } from "./env.ts";

const target = fileURLToPath(new URL("../../../../openapi.json", import.meta.url));
// Generating the document needs the routes, not a database.
const app = createApp({ ctx: {} as HttpDeps["ctx"], auth: {} as HttpDeps["auth"], adminToken: undefined, rateLimit: 0 });
const text = `${JSON.stringify(openApiDocument(app), null, 2)}\n`;
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {
    /* missing counts as stale */
  }
  if (current !== text) {
    console.error("openapi.json is stale: run `npm run openapi` and commit the result.");
    process.exit(1);
  }
  console.log("openapi.json is up to date.");
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
