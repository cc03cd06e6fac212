/**
 * Loaded with `node --import`: writes every module URL the process resolved, one per line, to
 * the file named by RECORD_IMPORTS_TO when it exits (what a command costs to start is mostly
 * what it loads).
 */
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const file = process.env.RECORD_IMPORTS_TO;
if (file !== undefined) {
  const loaded = new Set<string>();
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      loaded.add(resolved.url);
      return resolved;
    },
  });
  process.on('exit', () => {
    writeFileSync(file, [...loaded].join('\n'));
  });
}
