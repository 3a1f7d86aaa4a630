import { createHash } from 'node:crypto';
import {
  Kind,
  print,
  visit,
  type ASTNode,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql';

/**
 * Normalised operation signatures, after Apollo's usage-reporting signature
 * (`defaultUsageReportingSignature` in @apollo/utils.usagereporting, which is not installed):
 *
 * 1. only the chosen operation and the fragments it uses are kept;
 * 2. literals are hidden: strings → "", numbers → 0, lists → [], objects → {} (booleans,
 *    enums, null and variables stay, they can change the plan);
 * 3. aliases are removed;
 * 4. definitions, selections, arguments, directives and variable definitions are sorted;
 * 5. whitespace is reduced to what separates two names.
 *
 * The result is `# <operationName or ->\n<normalised document>`. It holds no literal values,
 * so neither the signature nor its hash can carry the personal data of a query; the hash
 * (sha256, hex) names the signature in metrics labels and the ops API.
 */
export interface OperationSignature {
  /** `# name\n{...}`, literals hidden. */
  signature: string;
  /** sha256 of `signature`, hex (64 characters). */
  hash: string;
  /** First 16 hex characters of `hash`: the metrics label and the ops API id. */
  id: string;
  operationName: string | null;
  operationType: 'query' | 'mutation' | 'subscription' | null;
}

/** Hides every literal value (see above); used for signatures and for fetch operations shown in /ops. */
export function hideLiterals<T extends ASTNode>(ast: T): T {
  return visit(ast, {
    IntValue: (node) => ({ ...node, value: '0' }),
    FloatValue: (node) => ({ ...node, value: '0' }),
    StringValue: (node) => ({ ...node, value: '', block: false }),
    ListValue: (node) => ({ ...node, values: [] }),
    ObjectValue: (node) => ({ ...node, fields: [] }),
  }) as T;
}

function removeAliases<T extends ASTNode>(ast: T): T {
  return visit(ast, { Field: (node) => ({ ...node, alias: undefined }) }) as T;
}

const nameOf = (node: { name?: { value: string } | undefined }) => node.name?.value ?? '';
const byName = <N extends { name?: { value: string } | undefined }>(a: N, b: N) => compare(nameOf(a), nameOf(b));
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function selectionKey(selection: SelectionNode): string {
  switch (selection.kind) {
    case Kind.FIELD:
      return `${selection.kind}:${selection.name.value}`;
    case Kind.FRAGMENT_SPREAD:
      return `${selection.kind}:${selection.name.value}`;
    case Kind.INLINE_FRAGMENT:
      return `${selection.kind}:${selection.typeCondition?.name.value ?? ''}`;
  }
}

function definitionKey(definition: DefinitionNode): string {
  const name = 'name' in definition && definition.name ? definition.name.value : '';
  return `${definition.kind}:${name}`;
}

function sortAST<T extends ASTNode>(ast: T): T {
  return visit(ast, {
    Document: (node) => ({ ...node, definitions: [...node.definitions].sort((a, b) => compare(definitionKey(a), definitionKey(b))) }),
    OperationDefinition: (node) => ({
      ...node,
      variableDefinitions: [...(node.variableDefinitions ?? [])].sort((a, b) => compare(a.variable.name.value, b.variable.name.value)),
    }),
    SelectionSet: (node) => ({ ...node, selections: [...node.selections].sort((a, b) => compare(selectionKey(a), selectionKey(b))) }),
    Field: (node) => ({ ...node, arguments: [...(node.arguments ?? [])].sort(byName) }),
    Directive: (node) => ({ ...node, arguments: [...(node.arguments ?? [])].sort(byName) }),
    FragmentSpread: (node) => ({ ...node, directives: [...(node.directives ?? [])].sort(byName) }),
    InlineFragment: (node) => ({ ...node, directives: [...(node.directives ?? [])].sort(byName) }),
    FragmentDefinition: (node) => ({ ...node, directives: [...(node.directives ?? [])].sort(byName) }),
  }) as T;
}

/** The operation (by name, or the only one) and the fragments it reaches; null when there is none. */
export function dropUnusedDefinitions(document: DocumentNode, operationName: string | null): DocumentNode | null {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) return null;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  const used = new Set<string>();
  const pending: ASTNode[] = [operation];
  while (pending.length) {
    visit(pending.pop()!, {
      FragmentSpread(node) {
        const name = node.name.value;
        const fragment = fragments.get(name);
        if (!used.has(name) && fragment) {
          used.add(name);
          pending.push(fragment);
        }
      },
    });
  }
  return { ...document, definitions: [operation, ...[...used].map((n) => fragments.get(n)!)] };
}

/** Prints with only the whitespace that separates two names (Apollo's printWithReducedWhitespace). */
export function printWithReducedWhitespace(ast: ASTNode): string {
  // Literals are hidden before this runs, so string values never contain spaces worth keeping;
  // hex-encode them anyway, as Apollo does, so that a signature of a document with visible
  // literals (e.g. a fetch operation) still prints its strings verbatim.
  const encoded = visit(ast, {
    StringValue: (node) => ({ ...node, value: Buffer.from(node.value, 'utf8').toString('hex'), block: false }),
  });
  return print(encoded)
    .replace(/\s+/g, ' ')
    .replace(/([^_a-zA-Z0-9]) /g, '$1')
    .replace(/ ([^_a-zA-Z0-9])/g, '$1')
    .replace(/"([a-f0-9]*)"/g, (_, hex: string) => JSON.stringify(Buffer.from(hex, 'hex').toString('utf8')));
}

/**
 * Signature of the operation `operationName` (or the only operation) of `document`; null
 * when the document has no such operation (Yoga rejects those before execution).
 */
export function operationSignature(document: DocumentNode, operationName: string | null): OperationSignature | null {
  const kept = dropUnusedDefinitions(document, operationName);
  if (!kept) return null;
  const operation = kept.definitions[0] as OperationDefinitionNode;
  const name = operation.name?.value ?? null;
  const body = printWithReducedWhitespace(sortAST(removeAliases(hideLiterals(kept))));
  const signature = `# ${name ?? '-'}\n${body}`;
  const hash = createHash('sha256').update(signature).digest('hex');
  return { signature, hash, id: hash.slice(0, 16), operationName: name, operationType: operation.operation };
}

/**
 * Memoises signatures per parsed document: Yoga caches parsed documents by query text, so a
 * repeated query is normalised once. Weakly held, so it is bounded by Yoga's own cache.
 */
export function createSignatureCache(): (document: DocumentNode, operationName: string | null) => OperationSignature | null {
  const cache = new WeakMap<DocumentNode, Map<string, OperationSignature | null>>();
  return (document, operationName) => {
    let perName = cache.get(document);
    if (!perName) {
      perName = new Map();
      cache.set(document, perName);
    }
    const key = operationName ?? '';
    if (!perName.has(key)) perName.set(key, operationSignature(document, operationName));
    return perName.get(key)!;
  };
}

/**
 * Signatures of operations as the client sent them. Plugins that run before the plan monitor
 * may rewrite `args.document` (authorization removes fields the caller may not read), so the
 * parsed document is remembered per request in `onParse` and the signature is taken from it:
 * the same client operation keeps one signature whoever calls it.
 */
export interface RequestSignatures {
  /** Call from an `onParse` after-hook with the parsed document (idempotent). */
  rememberParsed(request: Request, document: DocumentNode): void;
  /** Signature of the parsed document of `request`, or of `document` when none was remembered. */
  of(request: Request | undefined, document: DocumentNode, operationName: string | null): OperationSignature | null;
}

export function createRequestSignatures(signatureOf = createSignatureCache()): RequestSignatures {
  const parsed = new WeakMap<Request, DocumentNode>();
  return {
    rememberParsed(request, document) {
      parsed.set(request, document);
    },
    of(request, document, operationName) {
      return signatureOf((request && parsed.get(request)) ?? document, operationName);
    },
  };
}
