/** Nest injection token of the warehouse's `SqlClient` (search path: the warehouse schema first). */
export const WAREHOUSE_SQL = Symbol('WAREHOUSE_SQL');
