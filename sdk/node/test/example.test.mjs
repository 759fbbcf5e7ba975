import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { promisify } from "node:util";
import { newTenant } from "./helpers.mjs";

// The README's example, run as a user runs it, so it is known to work.
test("examples/quickstart.mjs runs against the system and prints what the README shows", async () => {
  const { registration } = await newTenant("example");
  const script = fileURLToPath(new URL("../examples/quickstart.mjs", import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [script], {
    env: { ...process.env, JOBQUEUE_API_KEY: registration.api_key.key },
    timeout: 120_000,
  });
  assert.match(stdout, /^echo: completed \{"to":"ada@example.com"\}$/m);
  assert.match(stdout, /^greet: completed \{"greeting":"Hello, Ada!"\}$/m);
  assert.match(stdout, /^nameless greet: dead \(payload needs a name\)$/m);
  assert.match(stdout, /^attempt 1 on .+: completed$/m);
  assert.match(stdout, /^1 job\(s\) tagged example:quickstart$/m);
  assert.match(stdout, /^404: job [0-9a-f-]{36} not found$/m);
});
