import { Controller, Get, Headers, Inject } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import { Roles, SQL_CLIENT } from '@tally/platform';
import { type CategoryView, listCategories } from '@tally/read-models';
import { ConsistencyGate } from '../consistency/consistency-gate';

/** Categories with published products, for the storefront's navigation and category pages. */
@Controller('api/v1/categories')
@Roles('guest')
export class CategoriesController {
  constructor(
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    private readonly consistency: ConsistencyGate,
  ) {}

  @Get()
  async list(@Headers('tally-consistency') token: string | undefined): Promise<CategoryView[]> {
    await this.consistency.waitFor(token, ['catalog']);
    return listCategories(this.sql);
  }
}
