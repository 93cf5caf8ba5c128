// Limits on the shape of every GraphQL document, over HTTP and graphql-ws alike (graphql-ws runs
// operations through yoga.getEnveloped, so these parse and validation hooks apply there too):
// tokens, depth, aliases and directives, checked by graphql-armor before any resolver runs, and
// one root field per mutation (mutation-field-limit.ts); the cost limit needs the variables, so it
// runs when execution starts (use-cost-limit.ts). A document past one is refused with
// BAD_USER_INPUT and `extensions.limit` naming it. Outside development, "Did you mean ...?" suggestions are cut from error messages so
// the schema cannot be guessed field by field.
import { EnvelopArmor } from "@escape.tech/graphql-armor";
import type { GraphQLError, ValidationContext } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { Config } from "../../config.js";
import { ChatError } from "../../errors.js";
import { mutationFieldLimitRule } from "./mutation-field-limit.js";

/** The value of `extensions.limit` on a refused document. */
export type AbuseLimit = "tokens" | "depth" | "aliases" | "directives" | "cost" | "mutations";

/** Root fields a mutation operation may select: one, so that no write's answer is lost to
 * another's error (see mutation-field-limit.ts). Not configurable: clients rely on it. */
export const MAX_MUTATION_FIELDS = 1;

export interface AbuseLimitOptions {
  /** Deepest field nesting of an operation; fragments add no level. @default 12 */
  maxDepth?: number;
  /** Most aliases in one operation (aliases of `__typename` are free). @default 15 */
  maxAliases?: number;
  /** Most directives (`@include`, `@skip`, ...) in one operation. @default 20 */
  maxDirectives?: number;
  /** Most lexical tokens in one document, counted while parsing. @default 2000 */
  maxTokens?: number;
  /** Cut "Did you mean ...?" suggestions from error messages. @default true */
  hideSuggestions?: boolean;
}

/** The options from the configuration: suggestions are kept only when NODE_ENV is "development". */
export function abuseLimitOptions(
  config: Pick<
    Config,
    "NODE_ENV" | "GRAPHQL_MAX_DEPTH" | "GRAPHQL_MAX_ALIASES" | "GRAPHQL_MAX_TOKENS"
  >,
): AbuseLimitOptions {
  return {
    maxDepth: config.GRAPHQL_MAX_DEPTH,
    maxAliases: config.GRAPHQL_MAX_ALIASES,
    maxTokens: config.GRAPHQL_MAX_TOKENS,
    hideSuggestions: config.NODE_ENV !== "development",
  };
}

/** Armor's message without its misleading "Syntax Error: " prefix, as one of our errors. */
function limitError(limit: AbuseLimit, max: number, error: GraphQLError): ChatError {
  return new ChatError("BAD_USER_INPUT", error.message.replace(/^Syntax Error: /, ""), { limit, max });
}

/**
 * A validation rule's rejection, reported through the validation context instead of thrown:
 * thrown, it would escape graphql-ws's onSubscribe and close the socket.
 */
function reportTo(limit: AbuseLimit, max: number) {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => context?.reportError(limitError(limit, max, error)),
    ],
  };
}

// graphql-js phrases every suggestion as ' Did you mean "a", "b" or "c"?' (also "the enum value",
// "to use an inline fragment on"); names never contain "?".
const SUGGESTION = / ?Did you mean [^?]*\?/g;

function cutSuggestions(errors: readonly Error[] | undefined): void {
  for (const error of errors ?? []) {
    if (error.message.includes("Did you mean")) error.message = error.message.replace(SUGGESTION, "");
  }
}

/** Refuses, before anything runs, a mutation operation selecting more than one root field. */
function useMutationFieldLimit(): Plugin {
  const rule = mutationFieldLimitRule(MAX_MUTATION_FIELDS, (context, count) =>
    context.reportError(
      new ChatError(
        "BAD_USER_INPUT",
        `A mutation may select at most ${MAX_MUTATION_FIELDS} field; this one selects ${count}. ` +
          "Send each mutation as its own request.",
        { limit: "mutations", max: MAX_MUTATION_FIELDS },
      ),
    ),
  );
  return { onValidate: ({ addValidationRule }) => addValidationRule(rule) };
}

/**
 * Armor's blockFieldSuggestion only rewrites validation errors and misses enum-value suggestions;
 * this also covers variable values refused when execution starts (an input field or enum misspelt).
 */
function useHiddenSuggestions(): Plugin {
  // One hooks object for all operations: envelop keeps a subscription's as long as it streams.
  const cutFromResult = ({ result }: { result: unknown }) => {
    if (!isAsyncIterable(result)) cutSuggestions((result as { errors?: readonly Error[] }).errors);
  };
  const executeHooks = { onExecuteDone: cutFromResult };
  const subscribeHooks = { onSubscribeResult: cutFromResult };
  return {
    onValidate: () => ({ result }) => cutSuggestions(result),
    onExecute: () => executeHooks,
    onSubscribe: () => subscribeHooks,
  };
}

/** One plugin that installs the armor limits and, unless turned off, the suggestion cutter. */
export function useAbuseLimits(options: AbuseLimitOptions = {}): Plugin {
  const {
    maxDepth = 12,
    maxAliases = 15,
    maxDirectives = 20,
    maxTokens = 2_000,
    hideSuggestions = true,
  } = options;
  const armor = new EnvelopArmor({
    // Replaced by useHiddenSuggestions (see there).
    blockFieldSuggestion: { enabled: false },
    maxTokens: {
      n: maxTokens,
      // The parser has no validation context to report to: throw ours instead of armor's.
      onReject: [
        (_context, error) => {
          throw limitError("tokens", maxTokens, error);
        },
      ],
    },
    maxDepth: { n: maxDepth, flattenFragments: true, ...reportTo("depth", maxDepth) },
    maxAliases: { n: maxAliases, ...reportTo("aliases", maxAliases) },
    maxDirectives: { n: maxDirectives, ...reportTo("directives", maxDirectives) },
    // Armor's cost sees only literal page sizes: replaced by useCostLimit.
    costLimit: { enabled: false },
  });
  const plugins = [
    ...armor.protect().plugins,
    useMutationFieldLimit(),
    ...(hideSuggestions ? [useHiddenSuggestions()] : []),
  ] as Plugin[];
  return {
    onPluginInit({ addPlugin }) {
      for (const plugin of plugins) addPlugin(plugin);
    },
  };
}
