import {
  GraphQLError,
  Kind,
  executeSync,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  valueFromAST,
  GraphQLBoolean,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Result shaping compiled once per operation (and per combination of `@skip`/`@include`
 * variable values): the merged subgraph data is copied into the client's response shape —
 * exactly the selected fields, in selection order, into plain object literals — with
 * `__typename` resolution, abstract types, leaf-value checks and null propagation decided
 * when compiling. Replaces @apollo/gateway's per-request `computeResponse` walk (3 ms of the
 * benchmark query against 0.1 ms here; shared/notes/apollo-gateway-cpu-profile.md) and keeps
 * its observable behaviour: the same error messages, paths and `INVALID_GRAPHQL` code.
 */
export interface ShapeResult {
  data: Record<string, unknown> | null;
  errors: GraphQLError[];
}

export type Shaper = (input: Record<string, unknown>, variables: Record<string, unknown>) => ShapeResult;

/** A non-null position received null: the enclosing nullable position becomes null. */
const INVALID: unique symbol = Symbol('invalid');
/** null because of an error that was already reported (no second error at a non-null parent). */
const ERRNULL: unique symbol = Symbol('errnull');
type Shaped = unknown;

interface Run {
  path: (string | number)[];
  errors: GraphQLError[];
  variables: Record<string, unknown>;
  /** Root introspection answers, computed on first use. */
  introspection: Record<string, unknown> | null;
}

type ValueShaper = (value: unknown, run: Run) => Shaped;
/** Shapes one object of a known runtime type; INVALID when a non-null field bubbled. */
type ObjectShaper = (input: Record<string, unknown>, run: Run) => Record<string, unknown> | typeof INVALID;

const OBJECT_PROTOTYPE_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));
const hasOwn = Object.prototype.hasOwnProperty;

export class UnsupportedOperationError extends Error {}

interface CollectedField {
  responseName: string;
  fieldName: string;
  nodes: FieldNode[];
}

/** Names of the variables that `@skip(if: $x)`/`@include(if: $x)` read anywhere in the document. */
export function conditionVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  const visitDirectives = (directives: readonly DirectiveNode[] | undefined) => {
    for (const directive of directives ?? []) {
      if (directive.name.value !== 'skip' && directive.name.value !== 'include') continue;
      const value = directive.arguments?.find((a) => a.name.value === 'if')?.value;
      if (value?.kind === Kind.VARIABLE) names.add(value.name.value);
    }
  };
  const walk = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      visitDirectives(selection.directives);
      if (selection.kind !== Kind.FRAGMENT_SPREAD) walk(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) walk(definition.selectionSet);
  }
  return [...names].sort();
}

/**
 * Values of the condition variables for one request (provided value, else the definition's
 * default). Throws for a missing or non-boolean value, which variable coercion has already
 * refused for a valid request.
 */
export function conditionValues(
  names: readonly string[],
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): Record<string, boolean> {
  const values: Record<string, boolean> = {};
  for (const name of names) {
    let value = hasOwn.call(variables, name) ? variables[name] : undefined;
    if (value === undefined) {
      const definition = operation.variableDefinitions?.find((d) => d.variable.name.value === name);
      value = definition?.defaultValue ? valueFromAST(definition.defaultValue, GraphQLBoolean) : undefined;
    }
    if (typeof value !== 'boolean') throw new GraphQLError(`Variable "$${name}" of type "Boolean!" must be a boolean for @skip/@include.`, { extensions: { code: 'BAD_USER_INPUT' } });
    values[name] = value;
  }
  return values;
}

function isIncluded(directives: readonly DirectiveNode[] | undefined, conditions: Record<string, boolean>): boolean {
  if (!directives?.length) return true;
  for (const directive of directives) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const argument = directive.arguments?.find((a) => a.name.value === 'if')?.value;
    let value: boolean;
    if (!argument) continue;
    if (argument.kind === Kind.BOOLEAN) value = argument.value;
    else if (argument.kind === Kind.VARIABLE) value = conditions[argument.name.value] ?? false;
    else continue;
    if (name === 'skip' && value) return false;
    if (name === 'include' && !value) return false;
  }
  return true;
}

function leafCheck(schema: GraphQLSchema, type: GraphQLNamedType): (value: unknown) => boolean {
  switch (type.name) {
    case 'Int':
    case 'ID':
      return type.name === 'ID'
        ? (v) => typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 1e21)
        : (v) => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 1e21;
    case 'Float':
      return (v) => typeof v === 'number' && Number.isFinite(v);
    case 'String':
      return (v) => typeof v === 'string';
    case 'Boolean':
      return (v) => typeof v === 'boolean';
  }
  if (isEnumType(type)) {
    const values = new Set(type.getValues().map((v) => v.name));
    return (v) => typeof v === 'string' && values.has(v);
  }
  void schema;
  return () => true; // custom scalars pass through, as in @apollo/gateway
}

function describe(run: Run, currentType: string, parentType: string): string {
  const element = run.path[run.path.length - 1];
  return typeof element === 'string' ? `field ${parentType}.${element}` : `array element of type ${currentType} at index ${element}`;
}

function invalidGraphQL(message: string, run: Run): GraphQLError {
  return new GraphQLError(message, { path: [...run.path], extensions: { code: 'INVALID_GRAPHQL' } });
}

/**
 * Compiles the shaper of one operation for one set of condition values. Throws
 * UnsupportedOperationError for what it does not handle (the caller then uses Apollo's
 * executor): response names that would touch Object.prototype (`__proto__`).
 */
export function compileShaper(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  conditions: Record<string, boolean>,
): Shaper {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) throw new UnsupportedOperationError(`the schema has no ${operation.operation} type`);

  const conditionApplies = (condition: string | undefined, runtime: GraphQLObjectType | null, parent: GraphQLCompositeType): boolean => {
    if (!condition || condition === (runtime ?? parent).name) return true;
    const conditionType = schema.getType(condition);
    if (!conditionType || !isAbstractType(conditionType)) return false;
    if (runtime) return schema.isSubType(conditionType, runtime);
    // Unknown runtime type (no __typename): only fragments on a supertype of the parent apply.
    return isInterfaceType(parent) && schema.isSubType(conditionType, parent);
  };

  const collect = (sets: readonly SelectionSetNode[], runtime: GraphQLObjectType | null, parent: GraphQLCompositeType): CollectedField[] => {
    const fields = new Map<string, CollectedField>();
    const visit = (set: SelectionSetNode, depth: number) => {
      if (depth > 100) throw new UnsupportedOperationError('fragments nested too deeply');
      for (const selection of set.selections) {
        if (!isIncluded(selection.directives, conditions)) continue;
        if (selection.kind === Kind.FIELD) {
          const responseName = selection.alias?.value ?? selection.name.value;
          if (responseName === '__proto__') throw new UnsupportedOperationError('response name __proto__');
          const existing = fields.get(responseName);
          if (existing) existing.nodes.push(selection);
          else fields.set(responseName, { responseName, fieldName: selection.name.value, nodes: [selection] });
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (conditionApplies(selection.typeCondition?.name.value, runtime, parent)) visit(selection.selectionSet, depth + 1);
        } else {
          const fragment = fragments.get(selection.name.value);
          if (fragment && conditionApplies(fragment.typeCondition.name.value, runtime, parent)) visit(fragment.selectionSet, depth + 1);
        }
      }
    };
    for (const set of sets) visit(set, 0);
    return [...fields.values()];
  };

  // Object shapers are memoised per (selection sets, runtime type) so that repeated fragments
  // compile once; the key is built from node identities.
  const nodeIds = new WeakMap<object, number>();
  let nextNodeId = 0;
  const idOf = (node: object) => {
    let id = nodeIds.get(node);
    if (id === undefined) nodeIds.set(node, (id = nextNodeId++));
    return id;
  };
  const objectShapers = new Map<string, { shape: ObjectShaper }>();

  const compileObject = (sets: readonly SelectionSetNode[], runtime: GraphQLObjectType | null, parent: GraphQLCompositeType, root: boolean): ObjectShaper => {
    const key = `${sets.map(idOf).join(',')}|${runtime?.name ?? `?${parent.name}`}`;
    const memo = objectShapers.get(key);
    if (memo) return (input, run) => memo.shape(input, run);
    const holder: { shape: ObjectShaper } = { shape: () => INVALID };
    objectShapers.set(key, holder);
    const typeForFields = runtime ?? parent;
    const parentName = typeForFields.name;
    const steps: ((input: Record<string, unknown>, output: Record<string, unknown>, run: Run) => boolean)[] = [];
    for (const field of collect(sets, runtime, parent)) {
      const { responseName } = field;
      if (field.fieldName === '__typename') {
        if (runtime) {
          const name = runtime.name;
          steps.push((_input, output) => {
            output[responseName] = name;
            return true;
          });
        } else {
          // No runtime type known for an abstract position: @apollo/gateway bubbles null without an error.
          steps.push(() => false);
        }
        continue;
      }
      if (root && (field.fieldName === '__schema' || field.fieldName === '__type')) {
        steps.push((_input, output, run) => {
          run.introspection ??= introspect(run.variables);
          output[responseName] = run.introspection[responseName] ?? null;
          return true;
        });
        continue;
      }
      const definition: GraphQLField<unknown, unknown> | undefined =
        'getFields' in typeForFields ? (typeForFields.getFields() as Record<string, GraphQLField<unknown, unknown>>)[field.fieldName] : undefined;
      if (!definition) throw new UnsupportedOperationError(`unknown field ${parentName}.${field.fieldName}`);
      const subSets = field.nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
      const shapeValue = compileValue(definition.type, subSets, parentName);
      const safe = !OBJECT_PROTOTYPE_KEYS.has(responseName);
      steps.push((input, output, run) => {
        let value = safe ? input[responseName] : hasOwn.call(input, responseName) ? input[responseName] : undefined;
        if (value === undefined) value = null;
        run.path.push(responseName);
        const shaped = shapeValue(value, run);
        run.path.pop();
        if (shaped === INVALID) return false;
        output[responseName] = shaped === ERRNULL ? null : shaped;
        return true;
      });
    }
    const count = steps.length;
    holder.shape = (input, run) => {
      const output: Record<string, unknown> = {};
      for (let i = 0; i < count; i++) if (!steps[i]!(input, output, run)) return INVALID;
      return output;
    };
    return holder.shape;
  };

  const compileComposite = (type: GraphQLCompositeType, sets: readonly SelectionSetNode[], parentName: string): ValueShaper => {
    const byTypename = new Map<string, ObjectShaper>();
    const possible = isAbstractType(type) ? schema.getPossibleTypes(type) : [type as GraphQLObjectType];
    // Compiled lazily per runtime type met: an interface with many implementations costs only what is used.
    const forType = (runtime: GraphQLObjectType): ObjectShaper => {
      let shaper = byTypename.get(runtime.name);
      if (!shaper) byTypename.set(runtime.name, (shaper = compileObject(sets, runtime, type, false)));
      return shaper;
    };
    const unknownRuntime = isObjectType(type) ? null : compileObject(sets, null, type, false);
    const staticType = isObjectType(type) ? type : null;
    if (staticType) forType(staticType);
    const possibleNames = new Set(possible.map((t) => t.name));
    const typeName = type.name;
    return (value, run) => {
      if (value === null) return null;
      if (typeof value !== 'object' || Array.isArray(value)) {
        run.errors.push(invalidGraphQL(`Invalid value found for ${describe(run, typeName, parentName)}.`, run));
        return ERRNULL;
      }
      const input = value as Record<string, unknown>;
      const typename = input.__typename;
      let shaper: ObjectShaper;
      if (typename === undefined || typename === null) {
        shaper = staticType ? forType(staticType) : unknownRuntime!;
      } else {
        const runtime = typeof typename === 'string' ? schema.getType(typename) : undefined;
        if (!runtime || !isCompositeType(runtime)) {
          run.errors.push(invalidGraphQL(`Invalid __typename found for object at ${describe(run, typeName, parentName)}.`, run));
          return ERRNULL;
        }
        if (isObjectType(runtime) && (possibleNames.has(runtime.name) || staticType === null)) shaper = forType(runtime);
        else if (staticType) shaper = forType(staticType);
        else shaper = unknownRuntime!;
      }
      const shaped = shaper(input, run);
      return shaped === INVALID ? ERRNULL : shaped;
    };
  };

  const compileValue = (type: GraphQLOutputType, sets: readonly SelectionSetNode[], parentName: string): ValueShaper => {
    if (isNonNullType(type)) {
      const inner = compileValue(type.ofType, sets, parentName);
      const innerName = String(type.ofType);
      return (value, run) => {
        const shaped = inner(value, run);
        if (shaped === null) {
          run.errors.push(invalidGraphQL(`Cannot return null for non-nullable ${describe(run, innerName, parentName)}.`, run));
          return INVALID;
        }
        return shaped === ERRNULL || shaped === INVALID ? INVALID : shaped;
      };
    }
    if (isListType(type)) {
      const item = compileValue(type.ofType, sets, parentName);
      const listName = String(type);
      return (value, run) => {
        if (value === null) return null;
        if (!Array.isArray(value)) {
          run.errors.push(invalidGraphQL(`Invalid value found for ${describe(run, listName, parentName)}.`, run));
          return ERRNULL;
        }
        const length = value.length;
        const output = new Array(length);
        let nullify = false;
        let hadErrors = false;
        for (let i = 0; i < length; i++) {
          run.path.push(i);
          const shaped = item(value[i] === undefined ? null : value[i], run);
          run.path.pop();
          if (shaped === INVALID) {
            nullify = true;
            hadErrors = true;
            output[i] = null;
          } else if (shaped === ERRNULL) {
            hadErrors = true;
            output[i] = null;
          } else output[i] = shaped;
        }
        if (nullify) return ERRNULL;
        void hadErrors;
        return output;
      };
    }
    if (isCompositeType(type)) return compileComposite(type, sets, parentName);
    const check = leafCheck(schema, getNamedType(type));
    const typeName = String(type);
    return (value, run) => {
      if (value === null) return null;
      if (check(value)) return value;
      run.errors.push(invalidGraphQL(`Invalid value found for ${describe(run, typeName, parentName)}.`, run));
      return ERRNULL;
    };
  };

  // Root introspection fields run through graphql-js against the API schema, as in @apollo/gateway.
  const introspectionFields = collect([operation.selectionSet], rootType, rootType).filter(
    (f) => f.fieldName === '__schema' || f.fieldName === '__type',
  );
  const introspectionDocument: DocumentNode | null = introspectionFields.length
    ? {
        kind: Kind.DOCUMENT,
        definitions: [
          { ...operation, operation: 'query' as OperationDefinitionNode['operation'], name: undefined, selectionSet: { kind: Kind.SELECTION_SET, selections: introspectionFields.flatMap((f) => f.nodes) } },
          ...fragments.values(),
        ],
      }
    : null;
  const introspect = (variables: Record<string, unknown>): Record<string, unknown> => {
    if (!introspectionDocument) return {};
    const result = executeSync({ schema, document: introspectionDocument, variableValues: variables, rootValue: {} });
    return (result.data as Record<string, unknown> | null) ?? {};
  };

  const shapeRoot = compileObject([operation.selectionSet], rootType, rootType, true);
  return (input, variables) => {
    const run: Run = { path: [], errors: [], variables, introspection: null };
    const data = shapeRoot(input, run);
    return { data: data === INVALID ? null : data, errors: run.errors };
  };
}
