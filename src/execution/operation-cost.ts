// The cost of one operation as it will run: with its variables' values, so a page size passed as
// a variable counts as much as the same number written in the document. It estimates how many
// objects the response may hold, which is what memory and database work grow with:
//
//   cost(field with a selection) = items × (1 + cost of its selection)    scalars and enums: 0
//
// where items is a connection's page size (`first`/`last` from a literal or a variable, else
// LIMITS.defaultPageSize, at most LIMITS.pageSize), a plain list's size from LIST_SIZES, else 1.
// Fragments count as the fields they add; on an interface or union, the costliest possible type
// counts (a room is a group or a channel, never both); fields left out by @skip/@include are free;
// introspection (`__schema`, `__type`) is free, as graphql-armor had it.
import {
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isCompositeType,
  isListType,
  Kind,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";
import { LIMITS } from "../limits.js";
import { LIST_SIZES } from "../schema/list-sizes.js";

export interface CostInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  /** The variables as the client sent them (coerced here). */
  variableValues?: Readonly<Record<string, unknown>> | null;
}

/** Costs that read no variable, by document and operation name: most operations a client repeats
 * (a send, a subscription) are priced once. Yoga's parser cache hands a repeated text the same document. */
const fixedCosts = new WeakMap<DocumentNode, Map<string, number>>();

/**
 * The operation's cost, or null when its variables do not fit their definitions or the operation
 * is not found: execution then refuses it with graphql-js's own error, before any resolver runs.
 */
export function operationCost({ schema, document, operationName, variableValues }: CostInput): number | null {
  const key = operationName ?? "";
  const known = fixedCosts.get(document)?.get(key);
  if (known !== undefined) return known;
  const operation = getOperationAST(document, operationName);
  const rootType = operation && schema.getRootType(operation.operation);
  if (!operation || !rootType) return null;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variableValues ?? {}, { maxErrors: 1 });
  if (coerced.errors) return null;
  const walk = new CostWalk(schema, document, coerced.coerced);
  const cost = walk.selectionCost(operation.selectionSet, rootType);
  if (!walk.readVariables) {
    let byName = fixedCosts.get(document);
    if (!byName) fixedCosts.set(document, (byName = new Map()));
    byName.set(key, cost);
  }
  return cost;
}

/** Page size of a connection field: what the resolver will use (validate.ts pageSizeArg), clamped. */
function pageSize(args: Record<string, unknown>): number {
  const given = args.first ?? args.last;
  if (typeof given !== "number") return LIMITS.defaultPageSize;
  return Math.min(Math.max(given, 1), LIMITS.pageSize);
}

function containsVariable(value: ValueNode): boolean {
  if (value.kind === Kind.VARIABLE) return true;
  if (value.kind === Kind.LIST) return value.values.some(containsVariable);
  if (value.kind === Kind.OBJECT) return value.fields.some((field) => containsVariable(field.value));
  return false;
}

const readsVariable = (args: readonly ArgumentNode[] | undefined) => args?.some((arg) => containsVariable(arg.value)) ?? false;

class CostWalk {
  /** A variable decided a size or a @skip/@include: the cost holds for these values only. */
  readVariables = false;
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  /** Each selection set's cost per object type: fragments spread in many places are costed once. */
  private readonly memo = new Map<SelectionSetNode, Map<GraphQLObjectType, number>>();

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
    private readonly variables: Record<string, unknown>,
  ) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(definition.name.value, definition);
    }
  }

  /** On an abstract type, the costliest of its possible object types. */
  selectionCost(selectionSet: SelectionSetNode, type: GraphQLCompositeType): number {
    if (!isAbstractType(type)) return this.objectSelectionCost(selectionSet, type);
    let most = 0;
    for (const object of this.schema.getPossibleTypes(type)) most = Math.max(most, this.objectSelectionCost(selectionSet, object));
    return most;
  }

  private objectSelectionCost(selectionSet: SelectionSetNode, object: GraphQLObjectType): number {
    let byType = this.memo.get(selectionSet);
    const known = byType?.get(object);
    if (known !== undefined) return known;
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (!this.included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        cost += this.fieldCost(selection, object);
      } else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : this.fragments.get(selection.name.value);
        if (fragment && this.appliesTo(fragment.typeCondition?.name.value, object)) {
          cost += this.objectSelectionCost(fragment.selectionSet, object);
        }
      }
    }
    if (!byType) this.memo.set(selectionSet, (byType = new Map()));
    byType.set(object, cost);
    return cost;
  }

  private fieldCost(node: FieldNode, parent: GraphQLObjectType): number {
    if (!node.selectionSet || node.name.value.startsWith("__")) return 0;
    const field = parent.getFields()[node.name.value];
    // Validation has run: an unknown field cannot reach here, but costs nothing if it did.
    if (!field) return 0;
    const type = getNamedType(field.type);
    if (!isCompositeType(type)) return 0;
    return this.items(node, field, parent) * (1 + this.selectionCost(node.selectionSet, type));
  }

  /** How many objects the field may return. */
  private items(node: FieldNode, field: GraphQLField<unknown, unknown>, parent: GraphQLObjectType): number {
    const isConnection = field.args.some((arg) => arg.name === "first" || arg.name === "last");
    const listSize = LIST_SIZES[`${parent.name}.${field.name}`];
    if (isConnection || listSize) {
      if (readsVariable(node.arguments)) this.readVariables = true;
      const args = this.argumentsOf(node, field);
      return isConnection ? pageSize(args) : listSize!(args);
    }
    if (!isListType(getNullableType(field.type))) return 1;
    // A connection's edges are counted by the field that returned the connection.
    if (parent.name.endsWith("Connection") && field.name === "edges") return 1;
    return LIMITS.pageSize;
  }

  private argumentsOf(node: FieldNode, field: GraphQLField<unknown, unknown>): Record<string, unknown> {
    try {
      return getArgumentValues(field, node, this.variables);
    } catch {
      // A value execution will refuse; the defaults price it meanwhile.
      return {};
    }
  }

  private included(node: SelectionNode): boolean {
    if (!node.directives?.length) return true;
    if (node.directives.some((directive) => readsVariable(directive.arguments))) this.readVariables = true;
    try {
      if (getDirectiveValues(GraphQLSkipDirective, node, this.variables)?.if === true) return false;
      return getDirectiveValues(GraphQLIncludeDirective, node, this.variables)?.if !== false;
    } catch {
      return true;
    }
  }

  private appliesTo(typeName: string | undefined, object: GraphQLObjectType): boolean {
    if (typeName === undefined || typeName === object.name) return true;
    const condition = this.schema.getType(typeName);
    return condition !== undefined && isAbstractType(condition) && this.schema.isSubType(condition, object);
  }
}
