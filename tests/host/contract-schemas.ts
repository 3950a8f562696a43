/**
 * The platform contract's JSON Schemas as published (docs/schemas/*.schema.json), compiled with a JSON Schema
 * validator (not zod: the files are what the platform team reads), for the tests' platform fixtures to check every
 * body the real host sends.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

const ajv = new Ajv2020({ allErrors: true, strict: true });
const compiled = new Map<string, ReturnType<typeof ajv.compile>>();

/** What is wrong with `body` by docs/schemas/<file> ('' when it is valid). */
export function schemaProblems(file: string, body: unknown): string {
  let v = compiled.get(file);
  if (!v) compiled.set(file, (v = ajv.compile(JSON.parse(readFileSync(`docs/schemas/${file}`, 'utf8')) as object)));
  return v(body) ? '' : `${file}: ${ajv.errorsText(v.errors)} in ${JSON.stringify(body).slice(0, 300)}`;
}
