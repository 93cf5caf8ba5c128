// Resolves the PERMISSION_HANDLER setting (or the permissionHandler option) to a PermissionHandler
// subclass, through the loader every pluggable handler shares (src/load-handler-class.ts).
import { HandlerLoadError, loadHandlerClass, type HandlerKind } from "../load-handler-class.js";
import { isPermissionHandlerClass, PermissionHandler, type PermissionHandlerClass } from "./permission-handler.js";

export class PermissionHandlerLoadError extends HandlerLoadError {
  override name = "PermissionHandlerLoadError";
}

const PERMISSION_HANDLER_KIND: HandlerKind<PermissionHandlerClass> = {
  setting: "PERMISSION_HANDLER",
  option: "permissionHandler",
  base: PermissionHandler,
  isSubclass: isPermissionHandlerClass,
  LoadError: PermissionHandlerLoadError,
};

export function loadPermissionHandler(
  setting: string | PermissionHandlerClass | undefined,
  cwd: string = process.cwd(),
): Promise<PermissionHandlerClass> {
  return loadHandlerClass(PERMISSION_HANDLER_KIND, setting, cwd);
}
