// Frames whose payload was serialised once for many subscribers. graphql-ws builds every frame
// itself (`{"id":…,"type":"next","payload":…}`) with JSON.stringify; for a shared result our
// onNext hook hands it a SharedPayload instead, whose toJSON() leaves a placeholder and parks the
// cached JSON here, and the adapter's send splices the JSON in place of the placeholder. graphql-ws
// stringifies and sends in one synchronous step, so a parked payload always belongs to the very
// next frame sent.
import { randomUUID } from "node:crypto";
import type { FormattedExecutionResult } from "graphql";

export class SharedFrames {
  /** Unguessable, so that no client-chosen id can look like it. */
  private readonly placeholder = `\u0000shared-payload:${randomUUID()}`;
  private readonly quotedPlaceholder = JSON.stringify(this.placeholder);
  private parked: string | null = null;

  /** What onNext returns to graphql-ws for a result whose JSON is `json`. */
  payload(json: string): FormattedExecutionResult {
    return new SharedPayload(json, this) as unknown as FormattedExecutionResult;
  }

  /** Called by SharedPayload.toJSON while graphql-ws stringifies the frame. */
  park(json: string): string {
    this.parked = json;
    return this.placeholder;
  }

  /** The frame to write: `data` as graphql-ws made it, with a parked payload spliced in. */
  complete(data: string): string {
    const json = this.parked;
    if (json === null) return data;
    this.parked = null;
    // The payload is the frame's last member; search from the end. No placeholder: what was
    // parked was left by a frame that never got sent, and this one is complete as it is.
    const at = data.lastIndexOf(this.quotedPlaceholder);
    return at < 0 ? data : data.slice(0, at) + json + data.slice(at + this.quotedPlaceholder.length);
  }
}

class SharedPayload {
  constructor(
    private readonly json: string,
    private readonly frames: SharedFrames,
  ) {}

  toJSON(): string {
    return this.frames.park(this.json);
  }
}
