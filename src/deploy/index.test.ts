/** The public names of src/deploy: a change here is an API change, to be made on purpose. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as deploy from './index.ts';

it('src/deploy exports exactly its public names', () => {
  assert.deepEqual(Object.keys(deploy).sort(), [
    'AddressError',
    'DEFAULT_RULE_OPTIONS',
    'NginxSyntaxError',
    'countBySeverity',
    'diskSource',
    'formatAddress',
    'formatLintJson',
    'formatLintText',
    'lintNginx',
    'loadNginxConfig',
    'parseAddress',
    'parseNginx',
    'parseNginxSize',
    'parseNginxTime',
    'renderNginxConf',
    'renderNginxSite',
    'splitDump',
    'textSource',
  ]);
});
