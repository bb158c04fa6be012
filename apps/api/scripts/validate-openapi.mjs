#!/usr/bin/env node
// Validates an OpenAPI document with @apidevtools/swagger-parser (schema, $refs, operation ids):
// `node scripts/validate-openapi.mjs ../../docs/openapi.json`. Exit 1 with the reasons when invalid.
import SwaggerParser from '@apidevtools/swagger-parser';

const file = process.argv[2];
if (!file) {
  console.error('usage: validate-openapi.mjs <openapi.json>');
  process.exit(2);
}
try {
  const api = await SwaggerParser.validate(file);
  const operations = Object.values(api.paths).flatMap((item) => Object.keys(item)).length;
  console.log(`valid: ${api.info.title} ${api.info.version}, ${operations} operations`);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
