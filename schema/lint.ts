import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';

/**
 * Lint rules of the composed graph (run by `npm run schema:check`):
 *
 * | rule | what it demands |
 * |---|---|
 * | `description` | a description on every type, field, argument and enum value of our own |
 * | `type-name` | type names in PascalCase (`Municipality`, `PersonConnection`) |
 * | `field-name` | field and argument names in camelCase (`areaKm2`, `leikaKey`) |
 * | `enum-value-name` | enum values in UPPER_SNAKE_CASE (`MAIN_RESIDENCE`) |
 * | `personal-data-authorized` | every field holding personal data carries `@requiresScopes` (on the field or its type); `@authenticated` or a `@policy` alone are not enough |
 *
 * "Personal data" is what `schema/personal-data.json` lists: all fields of the listed types
 * (minus the documented exceptions) and the listed fields. The list is explicit on purpose:
 * a new type holding names, birth dates or addresses must be added there, and then the lint
 * makes sure it is never served without an authorization rule.
 *
 * Input is the supergraph SDL (the authorization directives survive composition there; the
 * API schema drops them). Types of linked specs (`join__`, `link__`, …) and built-ins are skipped.
 */
export interface LintProblem {
  rule: 'description' | 'type-name' | 'field-name' | 'enum-value-name' | 'personal-data-authorized';
  coordinate: string;
  message: string;
}

export interface PersonalDataList {
  types: string[];
  fields: string[];
  exceptions: Record<string, string>;
}

export const PERSONAL_DATA_PATH = path.join(__dirname, 'personal-data.json');

export function readPersonalDataList(file = PERSONAL_DATA_PATH): PersonalDataList {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<PersonalDataList>;
  return { types: raw.types ?? [], fields: raw.fields ?? [], exceptions: raw.exceptions ?? {} };
}

const SPEC_PREFIXES = ['__', 'join__', 'link__', 'policy__', 'requiresScopes__', 'federation__'];
const BUILT_IN = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);
const ROOTS = new Set(['Query', 'Mutation', 'Subscription']);
/** Personal data needs a scope: `@authenticated` or a `@policy` alone do not suffice. */
const AUTHZ = new Set(['requiresScopes']);
const PASCAL = /^[A-Z][A-Za-z0-9]*$/;
const CAMEL = /^[a-z][A-Za-z0-9]*$/;
const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

const ours = (type: GraphQLNamedType) => !SPEC_PREFIXES.some((p) => type.name.startsWith(p)) && !BUILT_IN.has(type.name);

function hasAuthz(node: { directives?: readonly { name: { value: string } }[] } | null | undefined): boolean {
  return Boolean(node?.directives?.some((d) => AUTHZ.has(d.name.value)));
}

export function lintSupergraph(supergraphSdl: string, personal: PersonalDataList = readPersonalDataList()): LintProblem[] {
  const schema: GraphQLSchema = buildSchema(supergraphSdl, { assumeValidSDL: true });
  const problems: LintProblem[] = [];
  const add = (rule: LintProblem['rule'], coordinate: string, message: string) => problems.push({ rule, coordinate, message });
  const personalTypes = new Set(personal.types);
  const personalFields = new Set(personal.fields);

  for (const type of Object.values(schema.getTypeMap())) {
    if (!ours(type)) continue;
    if (!PASCAL.test(type.name)) add('type-name', type.name, `type ${type.name} is not PascalCase`);
    if (!ROOTS.has(type.name) && !type.description) add('description', type.name, `type ${type.name} has no description`);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      const typeAuthz = hasAuthz(type.astNode) || (type.extensionASTNodes ?? []).some((n) => hasAuthz(n));
      for (const field of Object.values(type.getFields())) {
        const coordinate = `${type.name}.${field.name}`;
        if (!CAMEL.test(field.name)) add('field-name', coordinate, `field ${coordinate} is not camelCase`);
        if (!field.description) add('description', coordinate, `field ${coordinate} has no description`);
        for (const arg of 'args' in field ? field.args : []) {
          const argCoordinate = `${coordinate}(${arg.name}:)`;
          if (!CAMEL.test(arg.name)) add('field-name', argCoordinate, `argument ${argCoordinate} is not camelCase`);
          if (!arg.description) add('description', argCoordinate, `argument ${argCoordinate} has no description`);
        }
        const isPersonal = (personalTypes.has(type.name) && !(coordinate in personal.exceptions)) || personalFields.has(coordinate);
        if (isPersonal && !typeAuthz && !hasAuthz(field.astNode)) {
          add(
            'personal-data-authorized',
            coordinate,
            `field ${coordinate} holds personal data (schema/personal-data.json) but has no @requiresScopes`,
          );
        }
      }
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) {
        const coordinate = `${type.name}.${value.name}`;
        if (!UPPER_SNAKE.test(value.name)) add('enum-value-name', coordinate, `enum value ${coordinate} is not UPPER_SNAKE_CASE`);
        if (!value.description) add('description', coordinate, `enum value ${coordinate} has no description`);
      }
    }
  }
  // A listed coordinate that no longer exists is a stale list: say so rather than pass silently.
  for (const coordinate of personal.fields) {
    const [typeName, fieldName] = coordinate.split('.');
    const type = schema.getType(typeName ?? '');
    if (!type || !(isObjectType(type) || isInterfaceType(type)) || !type.getFields()[fieldName ?? '']) {
      add('personal-data-authorized', coordinate, `schema/personal-data.json lists ${coordinate}, which is not in the graph`);
    }
  }
  return problems;
}
