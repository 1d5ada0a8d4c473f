import { Controller, Patch, Post, Req, Res } from '@nestjs/common';
import { parseRequest, Roles } from '@tally/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommandEdge } from '../shared/command-edge';
import { parseCommandRequest } from '../shared/parse-command-request';
import { noBody } from '../shared/common.schemas';
import { ProductHandler } from './product.handler';
import {
  changeProductDetailsBody,
  changeProductPriceBody,
  createProductBody,
  productPath,
} from './products.schemas';

/** Catalog commands: `/api/v1/products` (parse -> command -> decide -> 201/200 with ETag). */
@Controller('api/v1/products')
@Roles('admin')
export class ProductsController {
  constructor(
    private readonly edge: CommandEdge,
    private readonly products: ProductHandler,
  ) {}

  @Post()
  create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { sku, price, ...details } = parseRequest(createProductBody, request.body, 'body');
      const outcome = await this.products.execute(
        { type: 'CreateProduct', data: { sku, price, ...details }, metadata: context.metadata },
        context,
      );
      return {
        status: 201,
        body: { sku, version: outcome.version },
        outcome,
        location: `/api/v1/products/${encodeURIComponent(sku)}`,
      };
    });
  }

  @Patch(':sku')
  changeDetails(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { path, body: changes } = parseCommandRequest(request, {
        path: productPath,
        body: changeProductDetailsBody,
      });
      const { sku } = path;
      const outcome = await this.products.execute(
        { type: 'ChangeProductDetails', data: { sku, ...changes }, metadata: context.metadata },
        context,
      );
      return { status: 200, body: { sku, version: outcome.version }, outcome };
    });
  }

  @Patch(':sku/price')
  changePrice(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { path, body } = parseCommandRequest(request, {
        path: productPath,
        body: changeProductPriceBody,
      });
      const { sku } = path;
      const { price } = body;
      const outcome = await this.products.execute(
        { type: 'ChangeProductPrice', data: { sku, price }, metadata: context.metadata },
        context,
      );
      return { status: 200, body: { sku, version: outcome.version }, outcome };
    });
  }

  @Post(':sku/publish')
  publish(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.lifecycle(request, reply, 'PublishProduct');
  }

  @Post(':sku/unpublish')
  unpublish(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.lifecycle(request, reply, 'UnpublishProduct');
  }

  @Post(':sku/discontinue')
  discontinue(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.lifecycle(request, reply, 'DiscontinueProduct');
  }

  /** Publish, unpublish, discontinue: a SKU in the path and no body. */
  private lifecycle(
    request: FastifyRequest,
    reply: FastifyReply,
    type: 'PublishProduct' | 'UnpublishProduct' | 'DiscontinueProduct',
  ): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { sku } = parseCommandRequest(request, { path: productPath, body: noBody }).path;
      const outcome = await this.products.execute(
        { type, data: { sku }, metadata: context.metadata },
        context,
      );
      return { status: 200, body: { sku, version: outcome.version }, outcome };
    });
  }
}
