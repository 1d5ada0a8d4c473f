import type { MetadataRoute } from 'next';
import { storefrontConfig } from '../lib/config';

/** Per request: the sitemap URL follows TALLY_PUBLIC_URL at run time, not at build time. */
export const dynamic = 'force-dynamic';

export default function robots(): MetadataRoute.Robots {
  const base = storefrontConfig().publicUrl;
  return {
    rules: {
      userAgent: '*',
      allow: '/',
      disallow: ['/cart', '/checkout', '/account', '/orders/', '/admin', '/dev/', '/api/'],
    },
    sitemap: `${base}/sitemap.xml`,
  };
}
