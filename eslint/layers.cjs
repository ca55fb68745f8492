// @ts-check
'use strict';
const path = require('node:path');

/**
 * The layering, one row per folder: what a file there may import from the other folders (its own folder
 * is always allowed). Lower layers never import upper ones, and only the composition roots pick adapters.
 *   domain <- ports <- app <- http, triggers <- hosts (src/local, functions); config is a leaf.
 */
const LAYERS = {
  'src/domain': [],
  'src/ports': ['src/domain'],
  'src/config': [],
  'src/app': ['src/domain', 'src/ports'],
  'src/http': ['src/domain', 'src/ports', 'src/app'],
  'src/triggers': ['src/domain', 'src/ports', 'src/app'],
  'src/adapters': ['src/domain', 'src/ports', 'src/config'],
  'src/composition': ['src/domain', 'src/ports', 'src/config', 'src/adapters'],
  'src/local': ['src/domain', 'src/ports', 'src/config', 'src/app', 'src/http', 'src/triggers', 'src/composition', 'src/adapters'],
  functions: ['src/domain', 'src/ports', 'src/config', 'src/app', 'src/http', 'src/triggers', 'src/composition', 'src/adapters'],
  tools: ['src/domain', 'src/ports', 'src/config', 'src/app', 'src/http', 'src/triggers', 'src/composition', 'src/adapters', 'src/local'],
};

/** Inside a host, only these files compose adapters; the rest of the host sees ports. */
const COMPOSITION_ROOTS = new Set([
  'functions/composition.ts',
  'src/local/compose.ts',
  'src/local/embedded-wiring.ts',
  'src/local/threaded-services.ts',
]);

/** The layer a project-relative path belongs to: each adapter folder is a layer of its own. */
function layerOf(relative) {
  const parts = relative.split('/');
  if (parts[0] === 'src' && parts[1] === 'adapters' && parts.length > 3) return `src/adapters/${parts[2]}`;
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  if ((parts[0] === 'functions' || parts[0] === 'tools') && parts.length > 1) return parts[0];
  return null;
}

function allowed(fromFile, from, to) {
  if (from === to) return true;
  const row = LAYERS[from.startsWith('src/adapters/') ? 'src/adapters' : from];
  if (!row) return true; // tests, scripts: not part of the layering
  const target = to.startsWith('src/adapters/') ? 'src/adapters' : to;
  if (!row.includes(target)) return false;
  if (target !== 'src/adapters') return true;
  if (from.startsWith('src/adapters/')) return false; // adapters never import each other
  return from === 'src/composition' || from === 'tools' || COMPOSITION_ROOTS.has(fromFile);
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports follow the folder layering (domain <- ports <- app <- http/triggers <- hosts)' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: { upward: '{{from}} must not import {{to}}: {{why}}' },
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const fromFile = path.relative(root, context.filename).split(path.sep).join('/');
    const from = layerOf(fromFile);
    if (!from) return {};
    const check = (node) => {
      const source = node.source;
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      if (!source.value.startsWith('.')) return;
      const target = path.relative(root, path.resolve(path.dirname(context.filename), source.value));
      const to = layerOf(target.split(path.sep).join('/'));
      if (!to || allowed(fromFile, from, to)) return;
      const why = to.startsWith('src/adapters/')
        ? 'adapters are chosen by the composition roots only, and never import each other'
        : `${from} sits below ${to} in the layering`;
      context.report({ node: source, messageId: 'upward', data: { from: fromFile, to, why } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

module.exports = { rules: { layers: rule } };
