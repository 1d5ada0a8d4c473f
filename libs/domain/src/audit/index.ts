// Audit: the state of any stream at any point of its history, folded by the domain's own deciders, and what
// changed between two points. The only way in.
export * from './audit.errors';
export * from './stream-kinds';
export * from './state-at';
export * from './state-json';
export * from './state-diff';
