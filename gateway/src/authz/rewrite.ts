import {
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { isDeniedFragment, type OperationAnalysis } from './analyze';
import { fragmentType, KEY_ALIAS_PREFIX, TYPENAME_ALIAS } from './operation';
import type { AuthorizationRules } from './rules';

/**
 * Builds the document that is planned and executed: the selected operation and the fragments
 * it still uses, without the selections the caller may not read, plus what the gateway needs
 * to put the response back into the shape the client asked for:
 * - `__amtsgraph_typename: __typename` in selections on interfaces and unions (the runtime
 *   type of each object decides which fragments applied), and wherever a selection set would
 *   otherwise be empty (the parent is still fetched, so it keeps its place in the response);
 * - `__amtsgraph_key_<field>: <field>` on audited entity types (the audit records which
 *   entities a response contained; only where the caller may read the key fields).
 * Both are removed from the result again (reshape.ts). The input document is never mutated
 * (Yoga caches parsed documents across requests).
 */
export interface RewriteOptions {
  schema: GraphQLSchema;
  rules: AuthorizationRules;
  analysis: OperationAnalysis;
  /** Remove denied selections (false in dry-run: only the additions are made). */
  removeDenied: boolean;
  /** Add the key fields of audited entities. */
  collectEntities: boolean;
}

export interface RewrittenOperation {
  document: DocumentNode;
  /** Field and fragment nodes of the original document that were removed. */
  removed: ReadonlySet<ASTNode>;
}

const aliasedField = (alias: string, name: string): FieldNode => ({
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: alias },
  name: { kind: Kind.NAME, value: name },
});

const TYPENAME_FIELD = aliasedField(TYPENAME_ALIAS, '__typename');

export function rewriteOperation(options: RewriteOptions): RewrittenOperation {
  const { schema, rules, analysis } = options;
  const { selected } = analysis;
  const removed = new Set<ASTNode>();
  const usedFragments = new Set<string>();

  const keySelections = (type: GraphQLNamedType): SelectionNode[] => {
    if (!options.collectEntities) return [];
    const keyFields = (name: string) => (rules.entityKeys.get(name) ?? []).map((key) => aliasedField(`${KEY_ALIAS_PREFIX}${key}`, key));
    if (isObjectType(type)) return analysis.keyReadable.has(type.name) ? keyFields(type.name) : [];
    if (!isAbstractType(type)) return [];
    return schema
      .getPossibleTypes(type)
      .filter((possible) => analysis.keyReadable.has(possible.name))
      .map(
        (possible): InlineFragmentNode => ({
          kind: Kind.INLINE_FRAGMENT,
          typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: possible.name } },
          selectionSet: { kind: Kind.SELECTION_SET, selections: keyFields(possible.name) },
        }),
      );
  };

  const rewrite = (selectionSet: SelectionSetNode, parent: GraphQLNamedType): SelectionSetNode => {
    const selections: SelectionNode[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const coordinate = analysis.coordinates.get(selection);
        if (coordinate && options.removeDenied && analysis.denied.has(coordinate)) {
          removed.add(selection);
          continue;
        }
        if (coordinate && selection.selectionSet && (isObjectType(parent) || isInterfaceType(parent))) {
          const type = getNamedType(parent.getFields()[selection.name.value]!.type);
          selections.push({ ...selection, selectionSet: rewrite(selection.selectionSet, type) });
        } else {
          selections.push(selection);
        }
        continue;
      }
      if (options.removeDenied && isDeniedFragment(rules, analysis, selection)) {
        removed.add(selection);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        usedFragments.add(selection.name.value);
        selections.push(selection);
        continue;
      }
      const type = fragmentType(schema, selection, selected, parent) ?? parent;
      selections.push({ ...selection, selectionSet: rewrite(selection.selectionSet, type) });
    }
    if (isAbstractType(parent)) selections.push(TYPENAME_FIELD);
    selections.push(...keySelections(parent));
    if (selections.length === 0) selections.push(TYPENAME_FIELD);
    return { ...selectionSet, selections };
  };

  const rootType = schema.getRootType(selected.operation.operation)!;
  const operation = { ...selected.operation, selectionSet: rewrite(selected.operation.selectionSet, rootType) };
  // Fragments are rewritten once each (decisions do not depend on where they are spread);
  // a rewritten fragment may use further fragments, so follow until none is new.
  const fragments: FragmentDefinitionNode[] = [];
  const done = new Set<string>();
  for (let pending = [...usedFragments]; pending.length > 0; pending = [...usedFragments].filter((n) => !done.has(n))) {
    for (const name of pending) {
      done.add(name);
      const definition = selected.fragments.get(name);
      const type = definition && schema.getType(definition.typeCondition.name.value);
      if (!definition || !type) continue;
      fragments.push({ ...definition, selectionSet: rewrite(definition.selectionSet, type) });
    }
  }
  return { document: { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] }, removed };
}
