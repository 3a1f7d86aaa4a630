import {
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  type FieldNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Identity } from '../../../common/identity';
import {
  fragmentSelections,
  fragmentType,
  isIncluded,
  listDepth,
  responseKey,
  type FragmentNode,
  type SelectedOperation,
} from './operation';
import { unmetRequirement, type DenialReason, type Requirement } from './requirement';
import type { AuthorizationRules } from './rules';

/**
 * Authorization of one operation against the rules, before anything is planned:
 * which restricted coordinates it requests, which of them the caller may not read, and the
 * response paths that are therefore removed. Decisions depend only on the coordinate (type
 * and field, or the type of a fragment's condition) and the caller, so a named fragment gets
 * the same decision wherever it is spread; paths are computed per use.
 */
export interface Removal {
  /** Response path of the removed field (aliases as written; `"@"` for each list position). */
  readonly path: readonly string[];
  /** `Person.birthDate`, or the type name when a fragment on a restricted type was removed. */
  readonly coordinate: string;
  readonly reason: DenialReason;
  readonly requirement: Requirement;
}

export interface OperationAnalysis {
  readonly selected: SelectedOperation;
  /** Schema coordinate (static parent type + field) of every reachable field node. */
  readonly coordinates: ReadonlyMap<FieldNode, string>;
  /** Restricted coordinates the operation requests (skipped selections excluded), sorted. */
  readonly requested: readonly string[];
  /** Coordinates (and fragment types) the caller may not read, skipped selections included. */
  readonly denied: ReadonlyMap<string, DenialReason>;
  /** One entry per removed response path (skipped selections and descendants of removed ones excluded). */
  readonly removals: readonly Removal[];
  /** Top-most response paths of restricted fields that are served (what fail-closed nulls). */
  readonly restrictedPaths: readonly (readonly string[])[];
  /** Audited entity types whose `@key` fields this caller may read (ids can be collected). */
  readonly keyReadable: ReadonlySet<string>;
  /** Whether any selection of the document (skipped ones included) is denied. */
  readonly deniesSelections: boolean;
}

export interface AnalyzeInput {
  schema: GraphQLSchema;
  rules: AuthorizationRules;
  selected: SelectedOperation;
  identity: Identity;
  /** Evaluates one policy for one coordinate (memoised by the caller per request). */
  checkPolicy: (policy: string, coordinate: string) => Promise<boolean>;
  /** Bound on field visits (fragments expanded per use) so a pathological document cannot stall the gateway. */
  maxVisits?: number;
}

export class OperationTooLargeError extends Error {
  override name = 'OperationTooLargeError';
}

const DEFAULT_MAX_VISITS = 50_000;

export async function analyzeOperation(input: AnalyzeInput): Promise<OperationAnalysis> {
  const { schema, rules, selected } = input;
  const maxVisits = input.maxVisits ?? DEFAULT_MAX_VISITS;
  const rootType = schema.getRootType(selected.operation.operation);
  if (!rootType) throw new Error(`schema has no ${selected.operation.operation} type`);

  // Pass 1: every reachable field node's coordinate, and the restricted coordinates to decide
  // (skipped selections included: a denied field is removed even when skipped, so it never
  // reaches a subgraph document at all).
  const coordinates = new Map<FieldNode, string>();
  const conditionTypes = new Set<string>();
  const candidates = new Map<string, Requirement>();
  const visitedFragments = new Set<string>();
  const collect = (selectionSet: SelectionSetNode, parent: GraphQLNamedType) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name.startsWith('__') || !(isObjectType(parent) || isInterfaceType(parent))) continue;
        const field = parent.getFields()[name];
        if (!field) continue;
        const coordinate = `${parent.name}.${name}`;
        coordinates.set(selection, coordinate);
        const rule = rules.fields.get(coordinate);
        if (rule) candidates.set(coordinate, rule);
        if (selection.selectionSet) collect(selection.selectionSet, getNamedType(field.type));
      } else {
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          if (visitedFragments.has(selection.name.value)) continue;
          visitedFragments.add(selection.name.value);
        }
        const type = fragmentType(schema, selection, selected, parent);
        const selections = fragmentSelections(selection, selected);
        if (!type || !selections) continue;
        const rule = conditionRule(rules, selection, selected);
        if (rule) {
          candidates.set(rule.type, rule.requirement);
          conditionTypes.add(rule.type);
        }
        collect(selections, type);
      }
    }
  };
  collect(selected.operation.selectionSet, rootType);

  // Key fields of audited entity types must be readable to collect entity ids.
  for (const [type, keys] of rules.entityKeys) {
    for (const key of keys) {
      const rule = rules.fields.get(`${type}.${key}`);
      if (rule) candidates.set(`${type}.${key}`, rule);
    }
  }

  const decisions = await Promise.all(
    [...candidates].map(async ([coordinate, rule]) => {
      const reason = await unmetRequirement(rule, input.identity, (policy) => input.checkPolicy(policy, coordinate));
      return [coordinate, reason] as const;
    }),
  );
  const denied = new Map<string, DenialReason>();
  for (const [coordinate, reason] of decisions) if (reason) denied.set(coordinate, reason);
  const keyReadable = new Set(
    [...rules.entityKeys].filter(([type, keys]) => keys.every((key) => !denied.has(`${type}.${key}`))).map(([type]) => type),
  );

  // Pass 2: the executed selections (skip/include evaluated), per use of each fragment.
  const requested = new Set<string>();
  const removals = new Map<string, Removal>();
  const restrictedPaths = new Map<string, string[]>();
  let visits = 0;
  const remove = (path: string[], coordinate: string, reason: DenialReason, requirement: Requirement) => {
    const id = JSON.stringify(path);
    if (!removals.has(id)) removals.set(id, { path, coordinate, reason, requirement });
  };
  /** `removed`: under a removed selection (still requested, not removed again); `restricted`: under a served restricted field. */
  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType, path: string[], removed: boolean, restricted: boolean, depth: number) => {
    if (depth > 64) throw new OperationTooLargeError('the operation nests fragments too deeply to authorize');
    for (const selection of selectionSet.selections) {
      if (++visits > maxVisits) throw new OperationTooLargeError(`the operation expands to more than ${maxVisits} fields`);
      if (!isIncluded(selection, selected)) continue;
      if (selection.kind === Kind.FIELD) {
        const coordinate = coordinates.get(selection);
        if (!coordinate) continue;
        const field = (parent as { getFields(): Record<string, { type: Parameters<typeof listDepth>[0] }> }).getFields()[selection.name.value]!;
        const fieldPath = [...path, responseKey(selection)];
        const rule = rules.fields.get(coordinate);
        let childRemoved = removed;
        let childRestricted = restricted;
        if (rule) {
          requested.add(coordinate);
          const reason = denied.get(coordinate);
          if (reason && !removed) remove(fieldPath, coordinate, reason, rule);
          if (reason) childRemoved = true;
          else if (!removed && !restricted) {
            restrictedPaths.set(JSON.stringify(fieldPath), fieldPath);
            childRestricted = true;
          }
        }
        if (selection.selectionSet) {
          const childPath = [...fieldPath, ...Array<string>(listDepth(field.type)).fill('@')];
          walk(selection.selectionSet, getNamedType(field.type), childPath, childRemoved, childRestricted, depth + 1);
        }
      } else {
        const type = fragmentType(schema, selection, selected, parent);
        const selections = fragmentSelections(selection, selected);
        if (!type || !selections) continue;
        let childRemoved = removed;
        const rule = conditionRule(rules, selection, selected);
        if (rule) {
          requested.add(rule.type);
          const reason = denied.get(rule.type);
          if (reason && !removed) remove(path, rule.type, reason, rule.requirement);
          if (reason) childRemoved = true;
        }
        walk(selections, type, path, childRemoved, restricted, depth + 1);
      }
    }
  };
  walk(selected.operation.selectionSet, rootType, [], false, false, 0);

  return {
    selected,
    coordinates,
    requested: [...requested].sort(),
    denied,
    removals: [...removals.values()],
    restrictedPaths: [...restrictedPaths.values()],
    keyReadable,
    deniesSelections: [...coordinates.values(), ...conditionTypes].some((c) => denied.has(c)),
  };
}

/** The type rule a fragment's explicit type condition carries, if any. */
function conditionRule(rules: AuthorizationRules, node: FragmentNode, selected: SelectedOperation): { type: string; requirement: Requirement } | null {
  const condition = node.kind === Kind.INLINE_FRAGMENT ? node.typeCondition : selected.fragments.get(node.name.value)?.typeCondition;
  const requirement = condition ? rules.types.get(condition.name.value) : undefined;
  return condition && requirement ? { type: condition.name.value, requirement } : null;
}

/**
 * Whether a fragment is dropped because the caller may not read the type of its condition
 * (the objects of that type then come back without the fragment's fields).
 */
export function isDeniedFragment(rules: AuthorizationRules, analysis: OperationAnalysis, node: FragmentNode): boolean {
  const rule = conditionRule(rules, node, analysis.selected);
  return Boolean(rule && analysis.denied.has(rule.type));
}
