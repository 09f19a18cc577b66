// Reads a solc standard-JSON input on stdin, compiles it with the pinned solcjs from
// node_modules, resolves imports from node_modules (OpenZeppelin), writes the output JSON.
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const root = path.resolve(__dirname, "..");
function findImports(p) {
  for (const base of [path.join(root, "node_modules"), root]) {
    const full = path.join(base, p);
    if (fs.existsSync(full)) return { contents: fs.readFileSync(full, "utf8") };
  }
  return { error: "not found: " + p };
}
const input = fs.readFileSync(0, "utf8");
const out = JSON.parse(solc.compile(input, { import: findImports }));
out.compilerVersion = solc.version();
process.stdout.write(JSON.stringify(out));
