#!/usr/bin/env node
// Sluice is TypeScript run directly by Node (type stripping): it needs Node 24.
const [major] = process.versions.node.split('.').map(Number);
if (major === undefined || major < 24) {
  process.stderr.write(
    `sluice needs Node.js 24 or later; this is ${process.version}.\n` +
      'Run it through npm (npm start, npx sluice), which uses the Node 24 the project pins.\n',
  );
  process.exit(2);
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
