import fs from 'node:fs';
import path from 'node:path';

/** `npm ci` rejects a lockfile that lacks an entry for any optional dependency it lists. */
describe('package-lock.json', () => {
  const lock = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { optionalDependencies?: Record<string, string> }>;
  };

  it('has an entry for every optional dependency (run `npm run lockfile` after npm install)', () => {
    const missing = Object.entries(lock.packages).flatMap(([key, entry]) =>
      Object.keys(entry.optionalDependencies ?? {}).filter((name) => {
        // Resolution walks up from the dependent's folder to the root node_modules.
        const segments = key ? key.split('/node_modules/') : [];
        for (let i = segments.length; i >= 0; i--) {
          const base = segments.slice(0, i).join('/node_modules/');
          if (lock.packages[`${base ? `${base}/` : ''}node_modules/${name}`]) return false;
        }
        return true;
      }),
    );
    expect(missing).toEqual([]);
  });
});
