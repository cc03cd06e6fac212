// @ts-check
/**
 * The layering of `src/` (docs/architecture.md), enforced by ESLint: a folder may import only
 * folders of lower layers. Folders of one layer do not import each other, so the folder graph
 * has no cycles by construction. Tests (`*.test.ts`) may import anything.
 */
import { dirname, relative, resolve, sep } from 'node:path';

/** Lowest first. The names say what each layer is for; the folders, what is in it. */
export const LAYERS = /** @type {const} */ ([
  { name: 'failures', folders: ['errors'] },
  { name: 'plumbing', folders: ['log', 'sse'] },
  { name: 'formats and storage', folders: ['http', 'dialects', 'store', 'redis'] },
  { name: 'configuration', folders: ['config', 'deploy'] },
  { name: 'identities and ways out', folders: ['accounts', 'upstream', 'probe'] },
  { name: 'books and diagnosis', folders: ['metering', 'doctor'] },
  { name: 'the relay', folders: ['gateway'] },
  { name: 'services and telemetry', folders: ['chat', 'admin', 'telemetry'] },
  { name: 'composition', folders: ['server'] },
  { name: 'commands', folders: ['cli'] },
]);

/** @type {Map<string, number>} */
const RANK = new Map(LAYERS.flatMap((layer, rank) => layer.folders.map((f) => [f, rank])));

/**
 * The `src/` folder a file is in, or undefined outside `src/`.
 * @param {string} root absolute path of `src/`
 * @param {string} file absolute path
 */
function folderOf(root, file) {
  const rel = relative(root, file);
  if (rel.startsWith('..') || !rel.includes(sep)) return undefined;
  return rel.split(sep)[0];
}

/** @param {number} rank */
function below(rank) {
  return LAYERS.slice(0, rank)
    .flatMap((l) => l.folders)
    .join(', ');
}

/** @type {import('eslint').Rule.RuleModule} */
const layers = {
  meta: {
    type: 'problem',
    docs: {
      description: 'src/ folders import only folders of lower layers (docs/architecture.md)',
    },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    if (file.endsWith('.test.ts')) return {};
    const root = resolve(context.cwd, 'src');
    const from = folderOf(root, file);
    if (from === undefined) return {};
    const fromRank = RANK.get(from);
    /** @param {import('estree').Node} node @param {unknown} source */
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = folderOf(root, resolve(dirname(file), source));
      if (to === undefined || to === from) return;
      if (fromRank === undefined) {
        context.report({
          node,
          message: `src/${from} is in no layer: add it to lint/layers.js and docs/architecture.md.`,
        });
        return;
      }
      const toRank = RANK.get(to);
      if (toRank !== undefined && toRank < fromRank) return;
      const allowed = below(fromRank);
      context.report({
        node,
        message:
          `src/${from} may not import src/${to}: ${from} is in layer ${fromRank} ` +
          `(${LAYERS[fromRank]?.name ?? ''}) and imports only lower layers` +
          `${allowed === '' ? ' (none)' : ` (${allowed})`}. See docs/architecture.md.`,
      });
    };
    return {
      ImportDeclaration: (node) => {
        check(node, node.source.value);
      },
      ExportNamedDeclaration: (node) => {
        if (node.source) check(node, node.source.value);
      },
      ExportAllDeclaration: (node) => {
        check(node, node.source.value);
      },
      ImportExpression: (node) => {
        if (node.source.type === 'Literal') check(node, node.source.value);
      },
    };
  },
};

export const plugin = { rules: { layers } };
