import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { withRawRoutes } from '../../platform/http/raw-route-docs';
import { enrichDocument, type GeneratedResponses } from './enrich-document';
import { routeFacts } from './route-facts';
import generated from './response-schemas.generated.json';

/**
 * The OpenAPI document of the app: Nest Swagger's from the decorators, the routes Fastify serves
 * directly, then completed by `enrichDocument` (success schemas from the declared return types,
 * error envelope, Idempotency-Key, security from the access decorators). `docs/openapi.json` is this
 * document, committed: `pnpm openapi:write` regenerates both after an API change.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const base = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Astrix billing platform API')
      .setDescription(
        'Billing, accounts and payouts of Astrix Trading. Every error answers with one envelope, ' +
          '`{error:{code,message,details,requestId}}` (components.schemas.ErrorEnvelope). Every ' +
          'authenticated POST accepts an `Idempotency-Key`; the money-moving ones require it.',
      )
      .setVersion('1')
      .build(),
  );
  return enrichDocument(withRawRoutes(base), routeFacts(app), generated as unknown as GeneratedResponses);
}
