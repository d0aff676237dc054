// One lint config for the whole workspace: typescript-eslint's recommended rules, plus the
// purity rule for packages/core (no clock, no randomness, no IO), which is the architecture's spine.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/.patron/**", "packages/server/drizzle/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    // Tests read loosely-typed JSON responses; `any` there is the honest type.
    files: ["**/*.test.ts", "**/test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["packages/core/src/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "core is pure: take `now` as a parameter" },
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: "core is pure: take `now` as a parameter" },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: "core is pure: no randomness" },
      ],
      "no-restricted-imports": ["error", { patterns: ["node:*", "fs", "http", "crypto", "pg", "@electric-sql/*", "hono*", "drizzle-orm*"] }],
    },
  },
);
