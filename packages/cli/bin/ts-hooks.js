// Module hooks that load Patron's TypeScript: esbuild strips the types of each .ts file as it is
// imported, as tsx does, with one difference. tsx has esbuild keep function names (`keepNames`),
// which wraps every function expression in a call that sets its `name` with `Object.defineProperty`,
// each time the expression runs. Hot paths make closures (callbacks of `map`, `some`, `sort`) for
// every event and every cart: that was 7-16% of the time of rule and cart evaluation in the
// in-process benchmarks (bench/README.md, docs/promotions.md). Names here come from the source as JavaScript gives them, which
// is what stack traces and logs need; nothing in Patron reads a function's `name` otherwise.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";

// What tsconfig.base.json says about emitting JavaScript, for the transform (it reads no tsconfig).
const TSCONFIG = { compilerOptions: { target: "ES2022", useDefineForClassFields: true, verbatimModuleSyntax: true } };

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !/\.(c|m)?ts$/.test(new URL(url).pathname)) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const out = await transform(await readFile(path, "utf8"), {
    loader: "ts",
    format: path.endsWith(".cts") ? "cjs" : "esm",
    target: `node${process.versions.node}`,
    sourcemap: "inline",
    sourcefile: path,
    tsconfigRaw: TSCONFIG,
  });
  return { format: path.endsWith(".cts") ? "commonjs" : "module", source: out.code, shortCircuit: true };
}
