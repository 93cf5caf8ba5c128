// Results that one execution produced for several subscribers, each serialised at most once. The
// transport asks for the JSON of a result it is about to send; a result nobody recorded here (per
// subscriber, or replaced by a plugin such as error masking) is not shared and gets undefined.
import type { ExecutionResult } from "graphql";

export class SharedResults {
  /** null: shared, not serialised yet. */
  private readonly json = new WeakMap<ExecutionResult, string | null>();

  /** Records a result that every subscriber of one event and sharing key receives as is. */
  add(result: ExecutionResult): void {
    if (!this.json.has(result)) this.json.set(result, null);
  }

  /** The JSON of a shared result as graphql-ws sends a `next` payload (errors last), or undefined. */
  jsonOf(result: ExecutionResult): string | undefined {
    const cached = this.json.get(result);
    if (cached !== null) return cached;
    const { errors, ...rest } = result;
    // GraphQLError's toJSON gives the spec's shape (message, locations, path, extensions).
    const json = JSON.stringify(errors ? { ...rest, errors } : rest);
    this.json.set(result, json);
    return json;
  }
}
