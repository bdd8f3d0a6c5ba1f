// The docs describe what the code does: these checks fail when a close code, a cause or a config key is
// added without its line in the docs.
import { readFile } from 'node:fs/promises';
import { ENDS } from '@termrelay/protocol';
import { describe, expect, it } from 'vitest';
import { consoleSchema } from './config.js';

const read = (path: string) => readFile(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('the docs', () => {
  it('list every close code and cause of the table of ends in docs/protocol.md', async () => {
    const doc = await read('docs/protocol.md');
    const section = doc.slice(doc.indexOf('## Close codes'));
    for (const entry of ENDS) {
      const row = new RegExp(`^\\| ${entry.code ?? '—'}\\s+\\| \`${entry.cause}\`\\s+\\|`, 'm');
      expect(section, `docs/protocol.md lacks ${entry.code} ${entry.cause}`).toMatch(row);
    }
  });

  it('give every console option with its default in the server README', async () => {
    const readme = await read('apps/server/README.md');
    const defaults = consoleSchema.parse({}) as Record<string, unknown>;
    for (const key of Object.keys(consoleSchema.shape)) {
      expect(readme, `apps/server/README.md lacks console.${key}`).toContain(`\`console.${key}\``);
      expect(defaults[key]).toBeDefined();
    }
  });

  it('show deploy/nginx/termrelay.conf in docs/deploy.md exactly as it ships (the file the deploy suite runs)', async () => {
    const [doc, conf] = await Promise.all([read('docs/deploy.md'), read('deploy/nginx/termrelay.conf')]);
    const blocks = [...doc.matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks, 'docs/deploy.md lacks the shipped nginx file').toContain(conf);
  });
});
