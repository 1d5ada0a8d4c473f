// Search: facts observed about shoppers' searches (no aggregate decides on them). The only way in.
export * from './search.events';
