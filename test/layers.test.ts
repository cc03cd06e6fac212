/**
 * The layering of src/ (docs/architecture.md) is a lint rule, so an upward import fails
 * `npm test`. This plants one in a real file and lints it with the project's own config.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { LAYERS } from '../lint/layers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function lintPlanted(
  folder: string,
  source: string,
  rule = 'sluice/layers',
): Promise<string[]> {
  const file = `${ROOT}src/${folder}/zz-planted-import.ts`;
  await writeFile(file, source);
  try {
    const [result] = await new ESLint({ cwd: ROOT }).lintFiles([file]);
    return (result?.messages ?? []).filter((m) => m.ruleId === rule).map((m) => m.message);
  } finally {
    await rm(file, { force: true });
  }
}

describe('layers', () => {
  it('an upward import fails lint, naming both folders and the layers allowed', async () => {
    const messages = await lintPlanted(
      'store',
      "import type { Gateway } from '../gateway/index.ts';\nexport type Planted = Gateway;\n",
    );
    assert.equal(messages.length, 1);
    assert.match(messages[0] ?? '', /src\/store may not import src\/gateway/);
    assert.match(messages[0] ?? '', /errors, log, sse/);
  });

  it('an import within one layer fails too (no cycles between siblings)', async () => {
    const messages = await lintPlanted('chat', "export { AdminApi } from '../admin/index.ts';\n");
    assert.match(messages[0] ?? '', /src\/chat may not import src\/admin/);
  });

  it('an error class outside src/errors fails lint: the taxonomy stays closed', async () => {
    const planted = (base: string) =>
      lintPlanted(
        'doctor',
        `import { ${base} } from '../errors/index.ts';\nexport class PlantedError extends ${base} {}\n`,
        'no-restricted-syntax',
      );
    assert.match((await planted('InvalidRequestError'))[0] ?? '', /src\/errors/);
    const plain = await lintPlanted(
      'doctor',
      'export class PlantedError extends Error {}\n',
      'no-restricted-syntax',
    );
    assert.equal(plain.length, 1);
  });

  it('a downward import passes', async () => {
    assert.deepEqual(
      await lintPlanted('gateway', "export { SluiceError } from '../errors/index.ts';\n"),
      [],
    );
  });

  it('docs/architecture.md lists the same layers as the rule', async () => {
    const doc = await readFile(`${ROOT}docs/architecture.md`, 'utf8');
    const rows = doc
      .split('\n')
      .filter((line) => /^\|\s*\d+\s*\|/.test(line))
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    assert.deepEqual(
      rows,
      LAYERS.map((layer, rank) => [
        String(rank),
        layer.name,
        layer.folders.map((f) => `\`${f}\``).join(', '),
      ]),
    );
  });
});
