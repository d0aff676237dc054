// `node --import <this file> main.ts`: runs Patron's TypeScript without a build step, through the
// hooks of ts-hooks.js (why not tsx's own: see there). Stack traces point into the .ts sources.
import { register } from "node:module";

process.setSourceMapsEnabled(true);
register("./ts-hooks.js", import.meta.url);
