import { Controller, Post, Req, Res } from '@nestjs/common';
import { Roles } from '@tally/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommandEdge } from '../shared/command-edge';
import { parseCommandRequest } from '../shared/parse-command-request';
import { adjustStockBody, receiveStockBody, stockPath } from './inventory.schemas';
import { StockItemHandler } from './stock-item.handler';

/** Inventory commands: `/api/v1/inventory/{sku}` (parse -> command -> decide -> 200 with ETag). */
@Controller('api/v1/inventory')
@Roles('admin')
export class InventoryController {
  constructor(
    private readonly edge: CommandEdge,
    private readonly stock: StockItemHandler,
  ) {}

  @Post(':sku/receipts')
  receive(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { path, body } = parseCommandRequest(request, { path: stockPath, body: receiveStockBody });
      const { sku } = path;
      const { quantity, reference } = body;
      const outcome = await this.stock.execute(
        { type: 'ReceiveStock', data: { sku, quantity, reference }, metadata: context.metadata },
        context,
      );
      return { status: 200, body: { sku, version: outcome.version }, outcome };
    });
  }

  @Post(':sku/adjustments')
  adjust(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { path, body } = parseCommandRequest(request, { path: stockPath, body: adjustStockBody });
      const { sku } = path;
      const { delta, reason } = body;
      const outcome = await this.stock.execute(
        { type: 'AdjustStock', data: { sku, delta, reason }, metadata: context.metadata },
        context,
      );
      return { status: 200, body: { sku, version: outcome.version }, outcome };
    });
  }
}
