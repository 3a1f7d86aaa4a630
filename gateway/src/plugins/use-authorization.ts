import { isAsyncIterable, type Plugin } from '@envelop/core';
import { GraphQLError, type ExecutionResult, type GraphQLSchema, type ValidationRule } from 'graphql';
import { amtsError } from '../../../common/errors';
import { ANONYMOUS } from '../../../common/identity';
import type { Logger } from '../../../common/logger';
import { analyzeOperation, OperationTooLargeError, type Removal } from '../authz/analyze';
import { RESERVED_ALIAS_PREFIX, selectOperation } from '../authz/operation';
import { createSignatureCache } from '../ops/signature';
import { recordOutcome, type AuthorizationMode, type MutableOutcome } from '../authz/outcome';
import { createPolicyEvaluator, type PolicyFunction } from '../authz/policies';
import { describeRequirement } from '../authz/requirement';
import { reshapeResult } from '../authz/reshape';
import { rewriteOperation } from '../authz/rewrite';
import { extractAuthorizationRules, type AuthorizationRules } from '../authz/rules';
import type { GatewayContext } from '../context';
import type { ExecutionEngine } from '../engine/types';

/**
 * Field-level authorization before query planning.
 *
 * The rules come from the supergraph (`@authenticated`, `@requiresScopes`, `@policy`; see
 * authz/rules.ts), re-read on every supergraph reload and kept per API schema, so a request
 * is authorized with the rules of the schema it was validated against.
 *
 * After validation and before the engine plans the operation, the document is analysed for
 * `context.identity` and, in mode
 * - `filter` (default): replaced by one without the denied selections, so they are never
 *   requested from a subgraph. The response keeps the client's shape: removed fields are
 *   `null` (null propagation applies), with one `UNAUTHORIZED_FIELD_OR_TYPE` error per
 *   removed response path (`"@"` for list positions);
 * - `reject`: the whole operation is refused (HTTP 403, one error per denied path), nothing
 *   is executed;
 * - `dry-run`: everything is served, and what would have been removed is logged.
 * The outcome is recorded for the audit and metrics (`getAuthorizationOutcome`).
 */
export interface AuthorizationPluginOptions {
  engine: Pick<ExecutionEngine, 'supergraphSdl' | 'onSchemaChange'>;
  /** The API schema the gateway starts with. */
  schema: GraphQLSchema;
  mode: AuthorizationMode;
  /** Purposes the built-in `purpose-bound` policy allows. */
  allowedPurposes: readonly string[];
  /** Policies by name for `@policy`; they override built-in ones of the same name. */
  policies: Readonly<Record<string, PolicyFunction>>;
  /** Add `@key` fields of audited entities to the operation, so the audit can record their ids. */
  collectEntities: boolean;
  /** Bound on recorded entity ids per request. */
  maxEntities: number;
  logger: Logger;
}

function unauthorized(removal: Removal, status?: number): GraphQLError {
  const what = removal.coordinate.includes('.') ? removal.coordinate : `fields of type ${removal.coordinate}`;
  return new GraphQLError(
    `Not authorized to read ${what}: it requires ${describeRequirement(removal.requirement)}. ${
      status ? 'The operation was refused.' : 'It was removed from the operation.'
    }`,
    {
      path: removal.path,
      extensions: {
        code: 'UNAUTHORIZED_FIELD_OR_TYPE',
        coordinate: removal.coordinate,
        reason: removal.reason,
        ...(status ? { http: { status } } : {}),
      },
    },
  );
}

/** Aliases with the gateway's reserved prefix would collide with the fields it adds. */
const reservedAliases: ValidationRule = (context) => ({
  Field(node) {
    if (node.alias?.value.startsWith(RESERVED_ALIAS_PREFIX)) {
      context.reportError(
        new GraphQLError(`The alias "${node.alias.value}" is reserved for the gateway (prefix ${RESERVED_ALIAS_PREFIX}).`, { nodes: [node] }),
      );
    }
  },
});

export function useAuthorization(options: AuthorizationPluginOptions): Plugin<GatewayContext> {
  const { logger, mode } = options;
  const evaluatePolicy = createPolicyEvaluator(options);
  const rulesBySchema = new WeakMap<GraphQLSchema, AuthorizationRules | null>();
  const initialSdl = options.engine.supergraphSdl();
  if (!initialSdl) throw new Error('authorization: the engine has no supergraph loaded (start it before building the plugins)');
  let latest: AuthorizationRules | null = extractAuthorizationRules(initialSdl);
  rulesBySchema.set(options.schema, latest);
  options.engine.onSchemaChange((schema) => {
    try {
      latest = extractAuthorizationRules(options.engine.supergraphSdl() ?? '');
    } catch (error) {
      // Fail closed: operations on this schema are refused until a readable supergraph arrives.
      logger.error({ err: (error as Error).message }, 'authorization rules could not be read from the new supergraph; refusing operations');
      latest = null;
    }
    rulesBySchema.set(schema, latest);
  });
  // Of the document as the client sent it (before rewriting), memoised per parsed document.
  const signatureOf = createSignatureCache();
  const rulesFor = (schema: GraphQLSchema) => (rulesBySchema.has(schema) ? rulesBySchema.get(schema)! : latest);

  return {
    onValidate({ addValidationRule }) {
      addValidationRule(reservedAliases);
    },
    async onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as GatewayContext;
      const rules = rulesFor(args.schema);
      if (!rules) {
        setResultAndStopExecution({
          errors: [amtsError('INTERNAL_SERVER_ERROR', 'The authorization rules of the current supergraph are unavailable; nothing was executed.')],
        });
        return;
      }
      const selected = selectOperation(args.schema, args.document, args.operationName, args.variableValues as Record<string, unknown>);
      if (!selected) return; // no such operation: execution reports it, nothing is planned
      const identity = context.identity ?? ANONYMOUS;
      const operation = { name: selected.operation.name?.value ?? null, type: selected.operation.operation };
      const policyResults = new Map<string, Promise<boolean>>();
      const checkPolicy = (policy: string, coordinate: string) => {
        const key = `${policy}\u0000${coordinate}`;
        let result = policyResults.get(key);
        if (!result) policyResults.set(key, (result = evaluatePolicy(policy, { identity, operation, coordinate })));
        return result;
      };

      let analysis;
      try {
        analysis = await analyzeOperation({ schema: args.schema, rules, selected, identity, checkPolicy });
      } catch (error) {
        if (!(error instanceof OperationTooLargeError)) throw error;
        setResultAndStopExecution({ errors: [amtsError('COST_LIMIT_EXCEEDED', `${error.message}; nothing was executed.`, { http: { status: 400 } })] });
        return;
      }

      const removals = analysis.removals;
      const outcome: MutableOutcome = {
        mode,
        operationName: operation.name,
        operationType: operation.type,
        signature: signatureOf(args.document, operation.name)?.hash ?? '',
        requested: analysis.requested,
        denied: [...new Set(removals.map((r) => r.coordinate))].sort(),
        deniedPaths: removals.map((r) => r.path),
        result: removals.length === 0 ? 'served' : mode === 'filter' ? 'filtered' : mode === 'reject' ? 'rejected' : 'served',
        entities: [],
        entitiesTruncated: false,
      };
      const logFields = { correlationId: context.correlationId, operationName: operation.name, denied: outcome.denied, paths: removals.map((r) => r.path.join('.')) };

      if (removals.length > 0 && mode === 'reject') {
        recordOutcome(context, outcome, null);
        logger.info(logFields, 'authorization: operation refused');
        setResultAndStopExecution({ errors: removals.map((removal) => unauthorized(removal, 403)) });
        return;
      }
      if (removals.length > 0 && mode === 'dry-run') logger.warn(logFields, 'authorization dry-run: these fields would have been removed');
      else if (removals.length > 0) logger.debug(logFields, 'authorization: fields removed');

      const removeDenied = mode === 'filter';
      if (analysis.requested.length === 0 && !(removeDenied && analysis.deniesSelections)) {
        recordOutcome(context, outcome, null);
        return;
      }

      const collect = options.collectEntities && analysis.requested.length > 0;
      const rewritten = rewriteOperation({ schema: args.schema, rules, analysis, removeDenied, collectEntities: collect });
      args.document = rewritten.document;

      const schema = args.schema;
      const runtimeTypes = new WeakMap<object, string>();
      const isDroppedFragment = (node: object) => rewritten.removed.has(node as never);
      const isRestricted = (node: object) => rules.fields.has(analysis.coordinates.get(node as never) ?? '');
      const withhold = (result: ExecutionResult, errorAt: (path: readonly string[]) => GraphQLError): ExecutionResult => {
        if (!result.data) return result;
        const reshaped = reshapeResult(
          { schema, selected, runtimeTypes, isDroppedFragment, isNulled: (node) => rewritten.removed.has(node) || isRestricted(node) },
          result.data,
        );
        return { ...result, data: reshaped.data, errors: [...(result.errors ?? []), ...analysis.restrictedPaths.map(errorAt)] };
      };
      recordOutcome(context, outcome, withhold);

      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result) || result.data === undefined) return;
          const reshaped = reshapeResult(
            {
              schema,
              selected,
              runtimeTypes,
              isDroppedFragment,
              isNulled: (node) => rewritten.removed.has(node),
              entities: collect ? { keys: rules.entityKeys, isRestricted, max: options.maxEntities } : undefined,
            },
            result.data,
          );
          outcome.entities = reshaped.entities;
          outcome.entitiesTruncated = reshaped.entitiesTruncated;
          const errors = [...(result.errors ?? []), ...(removeDenied ? removals.map((removal) => unauthorized(removal)) : [])];
          setResult({ ...result, data: reshaped.data, ...(errors.length > 0 ? { errors } : {}) });
        },
      };
    },
  };
}
