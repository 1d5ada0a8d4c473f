import config from './next.config';

async function headersFor(nodeEnv: string): Promise<Record<string, string>> {
  const previous = process.env.NODE_ENV;
  (process.env as Record<string, string>).NODE_ENV = nodeEnv;
  try {
    const rules = (await config.headers?.()) ?? [];
    return Object.fromEntries(rules.flatMap((rule) => rule.headers.map((h) => [h.key, h.value])));
  } finally {
    (process.env as Record<string, string | undefined>).NODE_ENV = previous;
  }
}

describe('storefront security headers', () => {
  it('sends HSTS in production only (local http must keep working)', async () => {
    expect((await headersFor('production'))['Strict-Transport-Security']).toBe(
      'max-age=63072000; includeSubDomains',
    );
    expect((await headersFor('development'))['Strict-Transport-Security']).toBeUndefined();
  });

  it('refuses framing and MIME sniffing on every page', async () => {
    const headers = await headersFor('production');
    expect(headers['X-Frame-Options']).toBe('DENY');
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
  });
});
