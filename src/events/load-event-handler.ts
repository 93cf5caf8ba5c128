// Resolves the EVENT_HANDLER setting (or the eventHandler option) to a ChatEventHandler subclass,
// through the loader every pluggable handler shares (src/load-handler-class.ts).
import { HandlerLoadError, loadHandlerClass, type HandlerKind } from "../load-handler-class.js";
import { ChatEventHandler, isChatEventHandlerClass, type ChatEventHandlerClass } from "./chat-event-handler.js";

export class EventHandlerLoadError extends HandlerLoadError {
  override name = "EventHandlerLoadError";
}

const EVENT_HANDLER_KIND: HandlerKind<ChatEventHandlerClass> = {
  setting: "EVENT_HANDLER",
  option: "eventHandler",
  base: ChatEventHandler,
  isSubclass: isChatEventHandlerClass,
  LoadError: EventHandlerLoadError,
};

export function loadEventHandler(
  setting: string | ChatEventHandlerClass | undefined,
  cwd: string = process.cwd(),
): Promise<ChatEventHandlerClass> {
  return loadHandlerClass(EVENT_HANDLER_KIND, setting, cwd);
}
