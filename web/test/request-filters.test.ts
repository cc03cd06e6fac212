/** The request log's filters between the address, the form and the admin API. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  addressQuery,
  apiQuery,
  filtersFromQuery,
  isoOfLocal,
  localOfIso,
  NO_FILTERS,
} from '../src/admin/request-filters.ts';

it('a plain address is the last 7 days, and no filters make a plain address', () => {
  assert.deepEqual(filtersFromQuery(''), NO_FILTERS);
  assert.equal(addressQuery(NO_FILTERS).toString(), '');
  assert.equal(apiQuery(NO_FILTERS).toString(), 'since=7d');
});

it('keeps what was chosen through the address, by the API’s own names', () => {
  const chosen = { ...NO_FILTERS, model: 'gpt-4o', status: '4xx', end_reason: 'rejected' };
  const address = addressQuery(chosen).toString();
  assert.equal(address, 'model=gpt-4o&status=4xx&end_reason=rejected');
  assert.deepEqual(filtersFromQuery(address), chosen);
  assert.equal(apiQuery(chosen).toString(), `${address}&since=7d`);
});

it('all time is since=all in the address and no since for the API', () => {
  const all = { ...NO_FILTERS, since: '' };
  assert.equal(addressQuery(all).toString(), 'since=all');
  assert.deepEqual(filtersFromQuery('since=all'), all);
  assert.equal(apiQuery(all).toString(), '');
});

it('ignores parameters it does not know and trims the ones it does', () => {
  assert.deepEqual(filtersFromQuery('modle=x&user=%20ada%20'), { ...NO_FILTERS, user: 'ada' });
});

it('turns datetime-local values into ISO times and back, in the reader’s zone', () => {
  const iso = isoOfLocal('2026-11-24T10:30');
  assert.match(iso, /^2026-11-2\dT\d\d:\d\d:00\.000Z$/);
  assert.equal(localOfIso(iso), '2026-11-24T10:30');
  assert.equal(isoOfLocal(''), '');
  assert.equal(localOfIso('7d'), '');
});
