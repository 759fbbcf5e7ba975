// The package as consumers get it: the ESM build through "exports", the same API as the CommonJS build, and
// declarations that type-check for an ES module and a CommonJS TypeScript consumer alike.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import * as esm from "@jobqueue/client";

const require = createRequire(import.meta.url);

test("import resolves to the ESM build, with the same exports as the CommonJS one", () => {
  assert.match(fileURLToPath(import.meta.resolve("@jobqueue/client")), /dist[\\/]esm[\\/]index\.js$/);
  const cjs = require("@jobqueue/client");
  assert.deepEqual(Object.keys(esm).sort(), Object.keys(cjs).sort());
  assert.equal(esm.default, esm.JobQueueClient);
});

test("the declarations type-check for ESM and CommonJS consumers, and refuse a wrong call", () => {
  const tsc = require.resolve("typescript/bin/tsc");
  const project = fileURLToPath(new URL("./types/tsconfig.json", import.meta.url));
  try {
    execFileSync(process.execPath, [tsc, "-p", project], { encoding: "utf8", stdio: "pipe" });
  } catch (error) {
    assert.fail(`tsc found errors:\n${error.stdout}${error.stderr}`);
  }
});
