import path from 'node:path';
import { RuleTester, type Rule } from 'eslint';

// The rule is plain CommonJS so that ESLint's config and this test load the same file.
const { rules } = require('../../eslint/layers.cjs') as { rules: { layers: Rule.RuleModule } };

const root = path.resolve(__dirname, '../..');
const at = (file: string) => path.join(root, file);
const options = [{ root }];
const tester = new RuleTester({ languageOptions: { ecmaVersion: 2022, sourceType: 'module' } });

tester.run('layers', rules.layers, {
  valid: [
    { filename: at('src/app/accept.ts'), code: "import { decide } from '../domain/decide';", options },
    { filename: at('src/app/processing/load.ts'), code: "import { x } from '../../ports/store';", options },
    { filename: at('src/http/routes.ts'), code: "import { accept } from '../app/accept';", options },
    {
      filename: at('src/local/compose.ts'),
      code: "import { q } from '../adapters/embedded/queue';",
      options,
    },
    {
      filename: at('functions/composition.ts'),
      code: "import { q } from '../src/adapters/servicebus/x';",
      options,
    },
    {
      filename: at('src/adapters/embedded/queue/core.ts'),
      code: "import { w } from '../wal-sync';",
      options,
    },
    {
      filename: at('tools/bench/run.ts'),
      code: "import { s } from '../../src/adapters/embedded/embedded-store';",
      options,
    },
    { filename: at('test/unit/x.unit.test.ts'), code: "import { s } from '../../src/local/host';", options },
  ],
  invalid: [
    ['src/domain/decide.ts', "import { x } from '../ports/store';", 'src/ports'],
    ['src/ports/store.ts', "import { x } from '../app/services';", 'src/app'],
    ['src/app/accept.ts', "import { x } from '../http/problem';", 'src/http'],
    ['src/app/accept.ts', "import { x } from '../adapters/cosmos/client';", 'src/adapters/cosmos'],
    ['src/http/routes.ts', "import { x } from '../local/host';", 'src/local'],
    ['src/triggers/command-trigger.ts', "export * from '../../functions/index';", 'functions'],
    ['src/config/settings.ts', "import { x } from '../ports/clock';", 'src/ports'],
    ['src/adapters/cosmos/client.ts', "import { x } from '../embedded/database';", 'src/adapters/embedded'],
    ['src/local/server.ts', "import { x } from '../adapters/embedded/database';", 'src/adapters/embedded'],
    ['functions/http.ts', "import { x } from '../src/adapters/cosmos/client';", 'src/adapters/cosmos'],
    ['functions/index.ts', "import { x } from '../src/local/host';", 'src/local'],
    ['src/local/main.ts', "import { x } from '../../tools/bench/run';", 'tools'],
    ['src/app/accept.ts', "const m = import('../local/host');", 'src/local'],
  ].map(([file, code, to]) => ({
    filename: at(file!),
    code: code!,
    options,
    errors: [{ message: new RegExp(`^${file} must not import ${to}: `) }],
  })),
});
