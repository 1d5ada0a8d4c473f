import { Controller, Put, Req, Res } from '@nestjs/common';
import { actorOf, principalOf, Roles } from '@tally/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommandEdge } from '../shared/command-edge';
import { parseCommandRequest } from '../shared/parse-command-request';
import { changeRoleBody, customerPath } from './auth.schemas';
import { CustomerHandler } from './customer.handler';

/** Account administration: `/api/v1/customers` (admin only). */
@Controller('api/v1/customers')
export class CustomersController {
  constructor(
    private readonly edge: CommandEdge,
    private readonly customers: CustomerHandler,
  ) {}

  /** Takes effect at the account's next sign-in or refresh (access tokens carry the role for 15 minutes). */
  @Put(':customerId/role')
  @Roles('admin')
  changeRole(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { path, body } = parseCommandRequest(request, { path: customerPath, body: changeRoleBody });
      // The admin who did it, whatever the edge resolves for anonymous requests.
      const metadata = { ...context.metadata, actor: actorOf(principalOf(request)) };
      const outcome = await this.customers.execute(
        { type: 'ChangeCustomerRole', data: { customerId: path.customerId, role: body.role }, metadata },
        { ...context, metadata },
      );
      return {
        status: 200,
        body: { customerId: path.customerId, role: body.role, version: outcome.version },
        outcome,
      };
    });
  }
}
