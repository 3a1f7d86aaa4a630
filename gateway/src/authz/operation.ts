import {
  getNamedType,
  getVariableValues,
  isAbstractType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  valueFromASTUntyped,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Walking an operation the way execution will: the selected operation, the fragments it
 * reaches, `@skip`/`@include` evaluated with the request's variables, and type conditions.
 * Shared by the authorization analysis (operation → rules) and the result reshaping.
 */

/** Prefix of the fields the gateway adds to an operation for itself; clients may not use it. */
export const RESERVED_ALIAS_PREFIX = '__amtsgraph';
/** Alias of the `__typename` added to selections on interfaces/unions (runtime type of each object). */
export const TYPENAME_ALIAS = `${RESERVED_ALIAS_PREFIX}_typename`;
/** Alias prefix of the `@key` fields added to collect the ids of audited entities. */
export const KEY_ALIAS_PREFIX = `${RESERVED_ALIAS_PREFIX}_key_`;

export type FragmentNode = InlineFragmentNode | FragmentSpreadNode;

export interface SelectedOperation {
  operation: OperationDefinitionNode;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /** Coerced variables; the raw ones when coercion failed (execution will refuse the request). */
  variables: Record<string, unknown>;
  /** False when the variables did not coerce: every conditional selection then counts as included. */
  conditionsKnown: boolean;
}

export function selectOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
): SelectedOperation | null {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {}, { maxErrors: 1 });
  return coerced.errors
    ? { operation, fragments, variables: rawVariables ?? {}, conditionsKnown: false }
    : { operation, fragments, variables: coerced.coerced, conditionsKnown: true };
}

/**
 * Whether `@skip`/`@include` let a selection through. With unknown conditions (variables that
 * did not coerce) everything counts as included, the conservative choice for authorization.
 */
export function isIncluded(node: { directives?: readonly DirectiveNode[] }, selected: SelectedOperation): boolean {
  if (!node.directives?.length || !selected.conditionsKnown) return true;
  for (const directive of node.directives) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const arg = directive.arguments?.find((a) => a.name.value === 'if');
    if (!arg) continue;
    const value = valueFromASTUntyped(arg.value, selected.variables);
    if (name === 'skip' && value === true) return false;
    if (name === 'include' && value === false) return false;
  }
  return true;
}

/** The type a fragment narrows to (its type condition, or the enclosing type). */
export function fragmentType(schema: GraphQLSchema, node: FragmentNode, selected: SelectedOperation, parent: GraphQLNamedType): GraphQLNamedType | null {
  const condition = node.kind === Kind.INLINE_FRAGMENT ? node.typeCondition : selected.fragments.get(node.name.value)?.typeCondition;
  if (!condition) return parent;
  return schema.getType(condition.name.value) ?? null;
}

export function fragmentSelections(node: FragmentNode, selected: SelectedOperation): SelectionSetNode | null {
  return node.kind === Kind.INLINE_FRAGMENT ? node.selectionSet : (selected.fragments.get(node.name.value)?.selectionSet ?? null);
}

/** Whether a fragment on `condition` applies to an object of type `runtime`. */
export function fragmentApplies(schema: GraphQLSchema, condition: GraphQLNamedType, runtime: GraphQLNamedType): boolean {
  if (condition === runtime) return true;
  if (isAbstractType(condition) && isObjectType(runtime)) return schema.isSubType(condition, runtime);
  return false;
}

/** `[[Person!]]!` → 2: how many list positions (`"@"` in paths) a field's value has. */
export function listDepth(type: GraphQLOutputType): number {
  let depth = 0;
  let current: GraphQLOutputType = type;
  while (isNonNullType(current) || isListType(current)) {
    if (isListType(current)) depth++;
    current = current.ofType as GraphQLOutputType;
  }
  return depth;
}

export function responseKey(node: FieldNode): string {
  return node.alias?.value ?? node.name.value;
}

export function isComposite(type: GraphQLNamedType): boolean {
  return isObjectType(type) || isInterfaceType(type) || isAbstractType(type);
}

export { getNamedType };
