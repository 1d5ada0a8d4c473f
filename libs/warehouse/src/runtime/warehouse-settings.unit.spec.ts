import { loadConfig } from '@tally/platform';
import { withWarehouseSearchPath } from './open-warehouse';
import { warehousePseudonymKey } from './warehouse-settings';

describe('warehousePseudonymKey', () => {
  const secret = 'an-auth-secret-of-at-least-32-characters';

  it('is derived from the auth secret, the same at every start, and is not the secret itself', () => {
    const config = loadConfig({});
    const key = warehousePseudonymKey(config, secret);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(warehousePseudonymKey(loadConfig({}), secret)).toBe(key);
    expect(key).not.toContain(secret);
    expect(warehousePseudonymKey(config, `${secret}!`)).not.toBe(key);
  });

  it('is TALLY_WAREHOUSE_PSEUDONYM_KEY when set', () => {
    const configured = 'a-pseudonym-key-the-operator-keeps-for-ever';
    const config = loadConfig({ TALLY_WAREHOUSE_PSEUDONYM_KEY: configured });
    expect(warehousePseudonymKey(config, secret)).toBe(configured);
  });
});

describe('withWarehouseSearchPath', () => {
  it('leaves a URL without options alone (the client sets the search path)', () => {
    expect(withWarehouseSearchPath('postgres://u@db:5432/tally', 'warehouse')).toBe(
      'postgres://u@db:5432/tally',
    );
  });

  it("replaces the URL's search path with the warehouse's and keeps its other options", () => {
    const url = new URL('postgres://u@db:5432/tally');
    url.searchParams.set('options', '-c search_path=shop,public -c statement_timeout=5000');
    const options = new URL(withWarehouseSearchPath(url.toString(), 'warehouse')).searchParams.get('options');
    expect(options).toBe('-c statement_timeout=5000 -c search_path="warehouse",public');
  });
});
