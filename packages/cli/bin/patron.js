#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (no build step). `npx patron …` or `npm run patron -- …`.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { nodeFlags } from "./node-flags.js";
const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
let flags;
try {
  flags = nodeFlags(process.env);
} catch (e) {
  console.error(e.message);
  process.exit(2);
}
const r = spawnSync(process.execPath, [...flags, "--import", "tsx", main, ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(r.status ?? 1);
