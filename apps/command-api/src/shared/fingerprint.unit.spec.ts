import { isUuid } from '@tally/platform';
import { deterministicCommandId, requestFingerprint } from './fingerprint';

const base = {
  method: 'POST',
  url: '/api/v1/carts/x/items',
  body: { sku: 'A', quantity: 2 },
  ifMatch: undefined,
};

describe('requestFingerprint', () => {
  it('ignores the order of object keys', () => {
    expect(requestFingerprint(base)).toBe(requestFingerprint({ ...base, body: { quantity: 2, sku: 'A' } }));
  });

  it.each([
    ['method', { method: 'PATCH' }],
    ['url', { url: '/api/v1/carts/y/items' }],
    ['body', { body: { sku: 'A', quantity: 3 } }],
    ['If-Match', { ifMatch: 4 }],
  ])('tells requests apart by %s', (_name, change) => {
    expect(requestFingerprint({ ...base, ...change })).not.toBe(requestFingerprint(base));
  });

  it('treats a missing body as null', () => {
    expect(requestFingerprint({ ...base, body: undefined })).toBe(
      requestFingerprint({ ...base, body: null }),
    );
  });
});

describe('deterministicCommandId', () => {
  it('is a stable, well-formed UUID per actor, key and request', () => {
    const id = deterministicCommandId('anonymous', 'key-1', 'f');
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('8');
    expect(deterministicCommandId('anonymous', 'key-1', 'f')).toBe(id);
    expect(deterministicCommandId('anonymous', 'key-2', 'f')).not.toBe(id);
    expect(deterministicCommandId('someone', 'key-1', 'f')).not.toBe(id);
    expect(deterministicCommandId('anonymous', 'key-1', 'g')).not.toBe(id);
  });
});
