import path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '..', '..');

describe('workflow lint rules', () => {
  // jest cannot run ESLint's dynamic import of the config file, so hand it the same config.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: require('../../eslint.config.js') });
  const lint = async (code: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, 'workflows', 'example.ts') });
    return result!.messages.map((m) => m.message);
  };

  it.each([
    ["import fs from 'node:fs';\nexport const x = fs;", /Node builtins/],
    ["import crypto from 'crypto';\nexport const x = crypto;", /Node builtins/],
    ["import { Client } from 'pg';\nexport const x = Client;", /I\/O/],
    ["import { MikroORM } from '@mikro-orm/core';\nexport const x = MikroORM;", /I\/O/],
    ["import { Client } from '@elastic/elasticsearch';\nexport const x = Client;", /I\/O/],
    ["import { createActivities } from '../activities';\nexport const x = createActivities;", /activity types only/],
    ["import { loadConfig } from '../src/config';\nexport const x = loadConfig;", /only src\/contracts/],
    ["export const x = fetch('http://example.com');", /I\/O/],
  ])('rejects %s', async (code, message) => {
    expect((await lint(code)).join('\n')).toMatch(message);
  });

  it('allows the workflow API, contracts and activity types', async () => {
    const code = [
      "import { sleep } from '@temporalio/workflow';",
      "import type { Activities } from '../activities';",
      "import { topics } from '../src/contracts';",
      'export type A = Activities;',
      'export const x = [sleep, topics];',
    ].join('\n');
    expect(await lint(code)).toEqual([]);
  });
});

describe('raw SQL lint rule', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: require('../../eslint.config.js') });
  const lint = async (code: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, 'src', 'example.ts') });
    return result!.messages.map((m) => m.message);
  };

  it('rejects SQL sent through getConnection(), outside the transaction in progress', async () => {
    expect((await lint("import type { EntityManager } from '@mikro-orm/postgresql';\nexport const f = (em: EntityManager) => em.getConnection().execute('select 1');")).join('\n')).toMatch(/em\.execute\(\)/);
  });

  it('allows em.execute()', async () => {
    expect(await lint("import type { EntityManager } from '@mikro-orm/postgresql';\nexport const f = (em: EntityManager) => em.execute('select 1');")).toEqual([]);
  });
});
