// Builds the two module formats from one source: ESM (dist/esm, declarations in dist/types) and CommonJS
// (dist/cjs, with its own declarations, so a CommonJS TypeScript consumer is not told it imports an ES module).
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
rmSync("dist", { recursive: true, force: true });
for (const project of ["tsconfig.json", "tsconfig.cjs.json"]) {
  try {
    execFileSync(process.execPath, [tsc, "-p", project], { stdio: "inherit" });
  } catch {
    process.exit(1); // tsc has printed the errors
  }
}
// The package is "type": "module"; this marks the .js files under dist/cjs as CommonJS.
writeFileSync("dist/cjs/package.json", JSON.stringify({ type: "commonjs" }) + "\n");
