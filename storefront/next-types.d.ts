// Next's ambient types without next-env.d.ts, which imports route types that exist only after a build:
// `npm run typecheck` must work on a fresh checkout.
/// <reference types="next" />
/// <reference types="next/image-types/global" />
