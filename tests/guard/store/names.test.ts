/** Sync unique names derived from identities, addresses and SIDs: always safe, never shared. */
import { syncName } from '../../../src/guard/store/names';
import { HOSTILE_KEYS } from '../../support/rate-keys';


describe('syncName', () => {
  test.each(HOSTILE_KEYS.map((k) => [JSON.stringify(k).slice(0, 40), k]))('%s gives guard_rate_<32 hex>', (_label, key) => {
    const name = syncName('rate', key, '0');
    expect(name).toMatch(/^guard_rate_[0-9a-f]{32}$/);
    // Within Sync's key alphabet and length, and not shaped like a SID (two letters and 32 hex).
    expect(name).toMatch(/^[A-Za-z0-9_.:-]{1,256}$/);
    expect(name).not.toMatch(/^[A-Z]{2}[0-9a-f]{32}$/);
  });

  test('the same parts always give the same name', () => {
    expect(syncName('rate', 'CH1', '0')).toBe(syncName('rate', 'CH1', '0'));
  });

  test('different keys, shards and kinds never share a name', () => {
    const names = new Set<string>();
    let count = 0;
    for (const kind of ['rate', 'tally']) {
      for (const key of HOSTILE_KEYS) {
        for (const shard of ['0', '1', '12']) {
          names.add(syncName(kind, key, shard));
          count++;
        }
      }
    }
    expect(names.size).toBe(count);
  });

  test('where the parts are split matters: ("ab", "c") is not ("a", "bc")', () => {
    expect(syncName('rate', 'ab', 'c')).not.toBe(syncName('rate', 'a', 'bc'));
    expect(syncName('rate', 'a\u0000b', '1')).not.toBe(syncName('rate', 'a', 'b\u00001'));
  });

  test('identities that differ only in unpaired surrogates (not valid UTF-8) get different names', () => {
    expect(syncName('rate', '\ud800')).not.toBe(syncName('rate', '\ud801'));
    expect(syncName('rate', '\ud800')).not.toBe(syncName('rate', '\ufffd'));
  });

  test('the kind is reduced to lower-case letters and digits', () => {
    expect(syncName('Rate Limit/2', 'x')).toMatch(/^guard_ratelimit2_[0-9a-f]{32}$/);
  });
});
