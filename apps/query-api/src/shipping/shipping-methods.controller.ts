import { Controller, Get, Inject, Query } from '@nestjs/common';
import {
  APP_CONFIG,
  type AppConfig,
  parseRequest,
  Roles,
  type ShippingMethod,
  shippingMethods,
} from '@tally/platform';
import { shippingMethodsQuery } from './shipping-methods.schemas';

/**
 * The shipping methods a shopper can choose at checkout. They come from configuration, not from events,
 * so there is no read model to wait for and no consistency token.
 */
@Controller('api/v1/shipping-methods')
@Roles('guest')
export class ShippingMethodsController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get()
  list(@Query() rawQuery: unknown): { items: readonly ShippingMethod[] } {
    parseRequest(shippingMethodsQuery, rawQuery, 'query');
    return { items: shippingMethods(this.config) };
  }
}
