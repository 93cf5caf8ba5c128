// At most one root field per mutation operation. Root mutation fields run one after another and
// are non-null, so in one document a later field's error would null the whole `data` and hide a
// write that committed before it; and each field would be authorised against caches filled before
// the previous one wrote. One write per operation leaves the client one answer per write.
import { Kind, type ASTVisitor, type SelectionSetNode, type ValidationContext } from "graphql";

/**
 * The response keys (alias, else name) of the root fields an operation selects, through fragment
 * spreads and inline fragments. Fields with the same key are executed once, so they count once;
 * `__typename` writes nothing and is free. A field a @skip or @include may exclude still counts:
 * the limit is decided from the document alone, before variables are known.
 */
export function rootResponseKeys(
  context: ValidationContext,
  selectionSet: SelectionSetNode,
  keys = new Set<string>(),
  seenFragments = new Set<string>(),
): Set<string> {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== "__typename") keys.add(selection.alias?.value ?? selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      rootResponseKeys(context, selection.selectionSet, keys, seenFragments);
    } else {
      const name = selection.name.value;
      // A fragment spread twice adds nothing new; a cycle is refused by graphql's own rules.
      if (seenFragments.has(name)) continue;
      seenFragments.add(name);
      const fragment = context.getFragment(name);
      if (fragment) rootResponseKeys(context, fragment.selectionSet, keys, seenFragments);
    }
  }
  return keys;
}

/** A validation rule reporting, through `report`, each mutation operation with more than `max`
 * root fields (reported, not thrown: graphql-ws would close the socket on a throw). */
export function mutationFieldLimitRule(max: number, report: (context: ValidationContext, count: number) => void) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      if (node.operation !== "mutation") return;
      const count = rootResponseKeys(context, node.selectionSet).size;
      if (count > max) report(context, count);
    },
  });
}
