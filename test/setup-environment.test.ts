/**
 * `npm test` starts by making sure the machine has what the suite runs (test/setup/environment.ts).
 * With real processes: packages are hidden by mounting an empty dir over /usr/sbin in a private
 * mount namespace, and apt-get is a stand-in on PATH that records what it was asked.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { plan, REQUIREMENTS } from './setup/environment.ts';
import { makeScratchDir, type ScratchDir } from './support/scratch-dir.ts';

const SCRIPT = fileURLToPath(new URL('./setup/environment.ts', import.meta.url));
const HIDDEN = REQUIREMENTS.filter((r) => r.path.startsWith('/usr/sbin/')).map((r) => r.pkg);

describe('what npm test does about a missing package', () => {
  it('nothing when all are there', () => {
    assert.deepEqual(plan([], { root: false, apt: false }), { kind: 'ready' });
  });

  it('installs them as root with apt', () => {
    assert.deepEqual(plan(['nginx'], { root: true, apt: true }), {
      kind: 'install',
      packages: ['nginx'],
    });
  });

  it('otherwise names them and the one command that installs them', () => {
    const refused = plan(['nginx', 'caddy'], { root: false, apt: true });
    assert.ok(refused.kind === 'refuse');
    assert.match(refused.message, /needs nginx, caddy.*`sudo npm run setup:test`/);
    const noApt = plan(['nginx'], { root: true, apt: false });
    assert.equal(noApt.kind, 'refuse');
  });
});

describe('test/setup/environment.ts, run for real', () => {
  let dir: ScratchDir;
  before(async () => {
    dir = await makeScratchDir('setup-env');
    // apt-get as a stand-in: records its arguments, and whether the packages' services would
    // have been kept from starting (policy-rc.d answering 101) when it was asked to install.
    await writeFile(
      dir.file('apt-get'),
      `#!/bin/sh
echo "$*" >> ${dir.file('apt.log')}
if [ "$1" = install ]; then /usr/sbin/policy-rc.d; echo "policy $?" >> ${dir.file('apt.log')}; fi
exit 0
`,
    );
    await chmod(dir.file('apt-get'), 0o755);
    await chmod(dir.path, 0o777); // for `nobody` too
  });
  after(() => dir.remove());

  /** Runs the script with /usr/sbin emptied (in its own mount namespace), as `user`. */
  async function run(user: 'root' | 'nobody') {
    await rm(dir.file('apt.log'), { force: true });
    const path = `${dir.path}:${process.env.PATH ?? ''}`;
    const inner = [
      'mount -t tmpfs tmpfs /usr/sbin',
      `exec ${user === 'root' ? '' : 'setpriv --reuid=65534 --regid=65534 --clear-groups '}"$NODE" "$SCRIPT"`,
    ].join(' && ');
    try {
      const { stderr } = await promisify(execFile)('unshare', ['-m', 'sh', '-c', inner], {
        env: { PATH: path, NODE: process.execPath, SCRIPT },
      });
      return { code: 0, stderr };
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, stderr: failed.stderr };
    }
  }

  it('as another user: one line naming what is missing and the command, exit 1, apt untouched', async () => {
    const { code, stderr } = await run('nobody');
    assert.equal(code, 1);
    const lines = stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, stderr);
    for (const pkg of HIDDEN) assert.ok(lines[0]?.includes(pkg), `names ${pkg}`);
    assert.match(stderr, /sudo npm run setup:test/);
    assert.equal(await readFile(dir.file('apt.log'), 'utf8'), '--version\n', 'asked, not run');
  });

  it('as root: installs exactly what is missing, with their services kept from starting', async () => {
    const { code, stderr } = await run('root');
    assert.equal(code, 0, stderr);
    const log = (await readFile(dir.file('apt.log'), 'utf8')).trimEnd().split('\n');
    assert.deepEqual(log, [
      '--version',
      'update',
      `install -y --no-install-recommends ${HIDDEN.join(' ')}`,
      'policy 101',
    ]);
  });
});
