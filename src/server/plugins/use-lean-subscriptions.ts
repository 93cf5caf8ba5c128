// A subscription keeps its context for as long as it streams, and with it whatever its
// subscribe-time checks cached: Pothos's scope cache (kept per context object), the permission
// memo and the loaders. Once the subscription started, this drops them; an event that needs them
// rebuilds them. What an idle subscription holds is what costs memory per connection.
import { RequestCache } from "@pothos/plugin-scope-auth";
import type { Plugin } from "graphql-yoga";
import { releaseContext } from "../../context.js";

/** One hooks object for all subscriptions: envelop keeps what onSubscribe returns as long as the stream runs. */
const subscribeHooks = {
  onSubscribeResult({ args }: { args: { contextValue?: unknown } }) {
    const context = args.contextValue as object;
    RequestCache.clearForContext(context);
    releaseContext(context);
  },
};

export function useLeanSubscriptions(): Plugin {
  return { onSubscribe: () => subscribeHooks };
}
