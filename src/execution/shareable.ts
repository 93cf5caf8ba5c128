// Decides, once per document and operation, whether a subscription's events can be executed once
// for all of its subscribers: every field it may select (whatever @include/@skip decide, through
// fragments and inline fragments) must be on the allow-list for every concrete type it can resolve
// on, and must have neither arguments nor auth scopes (the root field excepted: its arguments pick
// the stream and its scopes run per subscriber at subscribe time).
import {
  getNamedType,
  getOperationAST,
  isAbstractType,
  isCompositeType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from "graphql";

export type SharedFieldList = Readonly<Record<string, readonly string[]>>;

/** Directives that only decide whether a field is there; their variables are part of the sharing key. */
const INCLUSION_DIRECTIVES = new Set(["include", "skip"]);

interface PothosExtensions {
  pothosOptions?: { authScopes?: unknown };
}

const hasScopes = (extensions: unknown) => (extensions as PothosExtensions | undefined)?.pothosOptions?.authScopes !== undefined;

export class ShareabilityAnalyser {
  private readonly allowed: Map<string, Set<string>>;
  private readonly cache = new WeakMap<DocumentNode, Map<string, boolean>>();

  constructor(
    private readonly schema: GraphQLSchema,
    sharedFields: SharedFieldList,
  ) {
    this.allowed = new Map(Object.entries(sharedFields).map(([type, fields]) => [type, new Set(fields)]));
  }

  /** True when every subscriber of this operation with the same variables gets the same result. */
  isShareable(document: DocumentNode, operationName?: string | null): boolean {
    let byOperation = this.cache.get(document);
    if (!byOperation) this.cache.set(document, (byOperation = new Map()));
    const key = operationName ?? "";
    let verdict = byOperation.get(key);
    if (verdict === undefined) {
      verdict = this.analyse(document, operationName);
      byOperation.set(key, verdict);
    }
    return verdict;
  }

  private analyse(document: DocumentNode, operationName?: string | null): boolean {
    const operation = getOperationAST(document, operationName);
    const root = this.schema.getSubscriptionType();
    if (!operation || operation.operation !== "subscription" || !root) return false;
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    return this.selectionShared(operation.selectionSet, root, fragments, new Set(), true);
  }

  private selectionShared(
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    visiting: Set<string>,
    isRoot: boolean,
  ): boolean {
    for (const selection of selectionSet.selections) {
      if (selection.directives?.some((directive) => !INCLUSION_DIRECTIVES.has(directive.name.value))) return false;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === "__typename") continue;
        if (!isRoot && (selection.arguments?.length ?? 0) > 0) return false;
        const childType = this.fieldShared(parent, name, isRoot);
        if (childType === false) return false;
        if (selection.selectionSet) {
          if (!childType || !isCompositeType(childType)) return false;
          if (!this.selectionShared(selection.selectionSet, childType, fragments, visiting, false)) return false;
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? this.compositeType(selection.typeCondition.name.value) : parent;
        if (!type || !this.selectionShared(selection.selectionSet, type, fragments, visiting, isRoot)) return false;
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // A fragment already on the path adds nothing new (validation forbids cycles anyway).
        if (visiting.has(name)) continue;
        const type = fragment && this.compositeType(fragment.typeCondition.name.value);
        if (!fragment || !type) return false;
        visiting.add(name);
        const shared = this.selectionShared(fragment.selectionSet, type, fragments, visiting, isRoot);
        visiting.delete(name);
        if (!shared) return false;
      }
    }
    return true;
  }

  /** The field's named type if it is shared on every concrete type `parent` may be, else false. */
  private fieldShared(parent: GraphQLCompositeType, name: string, isRoot: boolean): GraphQLNamedType | null | false {
    const concrete: readonly GraphQLObjectType[] = isAbstractType(parent) ? this.schema.getPossibleTypes(parent) : [parent];
    let named: GraphQLNamedType | null = null;
    for (const type of concrete) {
      const field: GraphQLField<unknown, unknown> | undefined = type.getFields()[name];
      if (!field || !this.allowed.get(type.name)?.has(name)) return false;
      if (!isRoot && (field.args.length > 0 || hasScopes(field.extensions) || hasScopes(type.extensions))) return false;
      named = getNamedType(field.type);
    }
    return named;
  }

  private compositeType(name: string): GraphQLCompositeType | null {
    const type = this.schema.getType(name);
    return type && isCompositeType(type) ? type : null;
  }
}
