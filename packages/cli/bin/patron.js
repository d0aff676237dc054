#!/usr/bin/env node
// Runs the TypeScript CLI through the hooks of ts-hooks.js (no build step). `npx patron …` or `npm run patron -- …`.
// The CLI runs in a child node (with the flags of node-flags.js); this process passes it the signals
// it gets (a `docker stop` or a supervisor signals only this one) and exits as it exits.
import { spawn } from "node:child_process";
import { constants } from "node:os";
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
const child = spawn(process.execPath, [...flags, "--import", fileURLToPath(new URL("./register.js", import.meta.url)), main, ...process.argv.slice(2)], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  // Ctrl-C reaches both processes (same process group): the child stops on its own, and this one waits.
  process.on(signal, () => {
    if (child.exitCode === null) child.kill(signal);
  });
}
// A child ended by a signal exits as shells report it: 128 + the signal's number.
child.on("exit", (code, signal) => process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
