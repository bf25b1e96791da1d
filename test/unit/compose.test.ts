import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { CONFIG_KEYS } from '../../src/config';

const ROOT = path.resolve(__dirname, '..', '..');

describe('docker-compose.yml and .env.example stay in step with the code', () => {
  const compose = YAML.parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { image?: string; environment?: Record<string, string>; command?: string[] }>;
  };

  it('runs every process the product needs', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'temporal', 'temporal-ui', 'elasticsearch', 'migrate', 'api', 'worker']));
    expect(compose.services.api!.command).toEqual(['npm', 'run', 'api']);
    expect(compose.services.worker!.command).toEqual(['npm', 'run', 'worker']);
  });

  it('configures the app containers only with settings the code reads', () => {
    for (const name of ['api', 'worker', 'migrate']) {
      const unknown = Object.keys(compose.services[name]!.environment ?? {}).filter((k) => !(CONFIG_KEYS as string[]).includes(k));
      expect(unknown).toEqual([]);
    }
  });

  it('uses an Elasticsearch of the client major version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const clientMajor = pkg.dependencies['@elastic/elasticsearch']!.replace(/^\D*/, '').split('.')[0];
    expect(compose.services.elasticsearch!.image).toMatch(new RegExp(`:${clientMajor}\\.`));
  });

  it('documents every setting in .env.example', () => {
    const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const documented = [...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
    expect(CONFIG_KEYS.filter((k) => !documented.includes(k))).toEqual([]);
  });
});
