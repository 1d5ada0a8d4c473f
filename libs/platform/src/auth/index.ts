export * from './cookies';
export * from './principal';
export * from './roles.guard';
export * from './signed-tokens';
export * from './auth-secret';
