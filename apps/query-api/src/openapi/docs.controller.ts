import { Controller, Get } from '@nestjs/common';
import { Roles } from '@tally/platform';
import { buildOpenApiDocument } from './openapi.document';

@Controller('api/docs')
@Roles('guest')
export class DocsController {
  private readonly document = buildOpenApiDocument();

  /** OpenAPI 3.1 JSON. */
  @Get()
  openApi(): Record<string, unknown> {
    return this.document;
  }
}
