import { defineConfig } from "vitest/config";

// One `npm test` runs three projects:
//   unit     – pure and in-process tests (core, HTTP on PGlite is covered by db tests below);
//   pglite   – every *.db.test.ts on embedded PGlite (always);
//   postgres – the same files on real PostgreSQL, when PATRON_TEST_POSTGRES_URL names a server
//              (CI sets it; without it the project is left out and the summary says so).
const pgUrl = process.env.PATRON_TEST_POSTGRES_URL;
const dbTests = ["packages/*/src/**/*.db.test.ts", "packages/*/test/**/*.db.test.ts"];

export default defineConfig({
  test: {
    reporters: ["default"],
    projects: [
      {
        test: {
          name: "unit",
          // Projects with different worker limits run as separate groups, one after another.
          sequence: { groupOrder: 0 },
          include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "bench/**/*.test.ts"],
          exclude: ["**/node_modules/**", ...dbTests],
        },
      },
      {
        test: {
          name: "pglite",
          sequence: { groupOrder: 1 },
          include: dbTests,
          env: { PATRON_TEST_DB: "pglite" },
          globalSetup: ["packages/server/test/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Each PGlite instance is ~700 MB: two files at a time on a 2-core machine.
          maxWorkers: 2,
        },
      },
      ...(pgUrl
        ? [
            {
              test: {
                name: "postgres",
                sequence: { groupOrder: 2 },
                include: dbTests,
                env: { PATRON_TEST_DB: "postgres", PATRON_TEST_POSTGRES_URL: pgUrl },
                globalSetup: ["packages/server/test/global-setup.ts"],
                testTimeout: 120_000,
                hookTimeout: 120_000,
                maxWorkers: 2,
              },
            },
          ]
        : []),
    ],
  },
});
