import {
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type FieldNode,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import {
  fragmentApplies,
  fragmentSelections,
  fragmentType,
  isIncluded,
  KEY_ALIAS_PREFIX,
  responseKey,
  TYPENAME_ALIAS,
  type FragmentNode,
  type SelectedOperation,
} from './operation';

/**
 * Puts an execution result back into the shape of the operation the client sent: fields that
 * were removed (or are withheld) come back as `null` at their response keys, in the order the
 * client asked for them, with GraphQL's null propagation where a field is non-null; the
 * fields the gateway added for itself (rewrite.ts) are dropped. On the way it collects the
 * ids of audited entities the response contains.
 *
 * This walks the ORIGINAL operation over the data, the way graphql-js completes values:
 * fields are collected per object with `@skip`/`@include` and type conditions evaluated for
 * the object's runtime type.
 */
export interface EntityRef {
  /** Entity type, e.g. `Person`. */
  readonly type: string;
  /** Its `@key` value: the field's value for a one-field key, JSON of the key fields otherwise. */
  readonly id: string;
}

export interface ReshapeOptions {
  schema: GraphQLSchema;
  selected: SelectedOperation;
  /** Field nodes answered with null whatever the data says (removed or withheld). */
  isNulled: (node: FieldNode) => boolean;
  /** Fragment nodes that were not executed (their fields are absent, not null). */
  isDroppedFragment: (node: FragmentNode) => boolean;
  /**
   * Runtime types of objects, filled by each reshape: a second reshape of an already reshaped
   * result (which no longer carries the added `__typename`) reads them from here.
   */
  runtimeTypes: WeakMap<object, string>;
  /** Collect the ids of audited entities reached through, or holding, served restricted fields. */
  entities?: {
    keys: ReadonlyMap<string, readonly string[]>;
    isRestricted: (node: FieldNode) => boolean;
    max: number;
  };
}

export interface Reshaped {
  data: Record<string, unknown> | null;
  entities: EntityRef[];
  /** More entities than `max` were in the response (the rest were not recorded). */
  entitiesTruncated: boolean;
}

/** A null in a non-null position: the nearest nullable parent becomes null. */
const INVALID = Symbol('null in non-null position');
type Completed = unknown | typeof INVALID;

export function reshapeResult(options: ReshapeOptions, data: Record<string, unknown> | null | undefined): Reshaped {
  const { schema, selected } = options;
  const entities = new Map<string, EntityRef>();
  let entitiesTruncated = false;

  const collectFields = (runtime: GraphQLObjectType, selectionSets: readonly SelectionSetNode[]) => {
    const fields = new Map<string, FieldNode[]>();
    const visited = new Set<string>();
    const collect = (selectionSet: SelectionSetNode) => {
      for (const selection of selectionSet.selections) {
        if (!isIncluded(selection, selected)) continue;
        if (selection.kind === Kind.FIELD) {
          const key = responseKey(selection);
          const group = fields.get(key);
          if (group) group.push(selection);
          else fields.set(key, [selection]);
          continue;
        }
        if (options.isDroppedFragment(selection)) continue;
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          if (visited.has(selection.name.value)) continue;
          visited.add(selection.name.value);
        }
        const condition = fragmentType(schema, selection, selected, runtime);
        const selections = fragmentSelections(selection, selected);
        if (condition && selections && fragmentApplies(schema, condition, runtime)) collect(selections);
      }
    };
    for (const selectionSet of selectionSets) collect(selectionSet);
    return fields;
  };

  const recordEntity = (runtime: GraphQLObjectType, object: Record<string, unknown>) => {
    const keys = options.entities?.keys.get(runtime.name);
    if (!keys) return;
    const values = keys.map((key) => object[`${KEY_ALIAS_PREFIX}${key}`]);
    if (values.some((v) => v === undefined || v === null)) return;
    const id = values.length === 1 ? String(values[0]) : JSON.stringify(Object.fromEntries(keys.map((k, i) => [k, values[i]])));
    const dedupe = `${runtime.name}\u0000${id}`;
    if (entities.has(dedupe)) return;
    if (entities.size >= options.entities!.max) {
      entitiesTruncated = true;
      return;
    }
    entities.set(dedupe, { type: runtime.name, id });
  };

  const completeObject = (
    runtime: GraphQLObjectType,
    selectionSets: readonly SelectionSetNode[],
    object: Record<string, unknown>,
    reachedThroughRestricted: boolean,
  ): Completed => {
    const out: Record<string, unknown> = {};
    let holdsRestricted = false;
    for (const [key, nodes] of collectFields(runtime, selectionSets)) {
      const name = nodes[0]!.name.value;
      if (name === '__typename') {
        out[key] = object[key] ?? runtime.name;
        continue;
      }
      const field = runtime.getFields()[name];
      if (!field || name.startsWith('__')) {
        out[key] = object[key];
        continue;
      }
      const live = nodes.filter((node) => !options.isNulled(node));
      if (live.length === 0) {
        if (isNonNullType(field.type)) return INVALID;
        out[key] = null;
        continue;
      }
      const restricted = Boolean(options.entities && live.some(options.entities.isRestricted));
      holdsRestricted ||= restricted;
      const completed = completeValue(field.type, live, object[key] ?? null, restricted);
      if (completed === INVALID) return INVALID;
      out[key] = completed;
    }
    if (options.entities && (reachedThroughRestricted || holdsRestricted)) recordEntity(runtime, object);
    options.runtimeTypes.set(out, runtime.name);
    return out;
  };

  const completeValue = (type: GraphQLOutputType, nodes: FieldNode[], value: unknown, restricted: boolean): Completed => {
    if (isNonNullType(type)) {
      const inner = completeValue(type.ofType, nodes, value, restricted);
      return inner === null || inner === INVALID ? INVALID : inner;
    }
    if (value === null || value === undefined) return null;
    if (isListType(type)) {
      if (!Array.isArray(value)) return value;
      const items: unknown[] = [];
      for (const item of value) {
        const completed = completeValue(type.ofType, nodes, item, restricted);
        if (completed === INVALID) return null;
        items.push(completed);
      }
      return items;
    }
    if (isLeafType(type) || typeof value !== 'object') return value;
    const object = value as Record<string, unknown>;
    let runtime: GraphQLObjectType | null = isObjectType(type) ? type : null;
    if (!runtime && isAbstractType(type)) {
      const name = object[TYPENAME_ALIAS] ?? object.__typename ?? options.runtimeTypes.get(object);
      const resolved = typeof name === 'string' ? schema.getType(name) : undefined;
      runtime = isObjectType(resolved) ? resolved : null;
    }
    if (!runtime) return object;
    const selectionSets = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
    const completed = completeObject(runtime, selectionSets, object, restricted);
    return completed === INVALID ? null : completed;
  };

  if (!data) return { data: data ?? null, entities: [], entitiesTruncated: false };
  const rootType = schema.getRootType(selected.operation.operation)!;
  const completed = completeObject(rootType, [selected.operation.selectionSet], data, false);
  return {
    data: completed === INVALID ? null : (completed as Record<string, unknown>),
    entities: [...entities.values()],
    entitiesTruncated,
  };
}
