// The /demo chat page: sign in (development token or pasted token), create a group chat, list and
// open rooms, send messages and receive them live over graphql-ws, and see which members of the
// open room are online (kept current by the room's PresenceChanged events). Every text from the server is
// set with textContent; only message content, which the server sanitised, is parsed as HTML.
import { createClient, type Client } from "graphql-ws";

interface User {
  id: string;
  username: string;
}
interface Member extends User {
  online: boolean;
}
/** What the open room's subscription delivers (roomEvents, the fields the page selects). */
interface RoomEvent {
  kind: string;
  message?: Message | null;
  latestSeq?: number;
  user?: Member | null;
}
interface Message {
  id: string;
  seq: number;
  content: string;
  createdAt: string;
  sender: User;
}
interface Room {
  id: string;
  kind: string;
  name: string | null;
  memberCount: number;
}
interface GraphQLError {
  message: string;
  extensions?: Record<string, unknown>;
}
interface OpenRoom {
  id: string;
  /** The highest seq shown; the subscription resumes after it. */
  lastSeq: number;
  /** Its members as last read or changed by a presence event: this room's alone. */
  members: Member[];
  stop(): void;
}

const MESSAGE_FIELDS = "id seq content createdAt sender { id username }";
const ROOM_FIELDS = "id kind name memberCount";
const ROOM_EVENTS = `subscription Live($roomId: ID!, $afterSeq: Int) {
  roomEvents(roomId: $roomId, afterSeq: $afterSeq) {
    kind
    ... on MessageAddedEvent { message { ${MESSAGE_FIELDS} } }
    ... on RoomResetEvent { latestSeq }
    ... on PresenceChangedEvent { user { id username online } }
  }
}`;
// sessionStorage, not localStorage: each tab may sign in as another user.
const TOKEN_KEY = "realtime-chat-graphql-demo:token";
/** What the server's sanitiser lets through; anything else in content is dropped here too. */
const CONTENT_TAGS = new Set(["B", "I", "STRONG", "EM", "A", "SPAN", "P", "UL", "OL", "LI", "BR"]);

const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing`);
  return element as T;
};

let token = "";
let ws: Client | null = null;
let stopViewerEvents: () => void = () => {};
let current: OpenRoom | null = null;
let rooms: Room[] = [];
const unread = new Set<string>();

class GraphQLFailure extends Error {
  constructor(readonly errors: GraphQLError[]) {
    super(errors.map((error) => error.message).join("; "));
  }
  get code(): unknown {
    return this.errors[0]?.extensions?.code;
  }
}

async function gql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  let result: { data?: T | null; errors?: GraphQLError[] };
  try {
    result = (await response.json()) as typeof result;
  } catch {
    throw new Error(`The server answered ${response.status}.`);
  }
  if (result.errors?.length) throw new GraphQLFailure(result.errors);
  if (!result.data) throw new Error(`The server answered ${response.status} without data.`);
  return result.data;
}

function showError(id: "status" | "sign-in-error", error: unknown): void {
  byId(id).textContent = error instanceof Error ? error.message : String(error);
}

function clearErrors(): void {
  byId("status").textContent = "";
  byId("sign-in-error").textContent = "";
}

/** Plain text typed by the user, as HTML the server's sanitiser keeps verbatim. */
function textToHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Parses sanitised content in an inert template, keeps the allow-listed tags and safe links. */
function contentFragment(html: string): DocumentFragment {
  const template = document.createElement("template");
  template.innerHTML = html;
  for (const element of Array.from(template.content.querySelectorAll("*"))) {
    if (!CONTENT_TAGS.has(element.tagName)) {
      element.replaceWith(document.createTextNode(element.textContent ?? ""));
      continue;
    }
    for (const attribute of Array.from(element.attributes)) {
      if (!["href", "title", "class"].includes(attribute.name)) element.removeAttribute(attribute.name);
    }
    if (element instanceof HTMLAnchorElement) {
      if (!/^(https?:|mailto:)/i.test(element.getAttribute("href") ?? "")) element.removeAttribute("href");
      element.target = "_blank";
      element.rel = "noopener noreferrer nofollow";
    }
  }
  return template.content;
}

function renderMessage(message: Message): HTMLLIElement {
  const item = document.createElement("li");
  item.dataset.seq = String(message.seq);
  const sender = document.createElement("span");
  sender.className = "sender";
  sender.textContent = message.sender.username;
  const time = document.createElement("time");
  time.className = "time";
  time.dateTime = message.createdAt;
  time.textContent = new Date(message.createdAt).toLocaleTimeString();
  const content = document.createElement("span");
  content.className = "content";
  content.append(contentFragment(message.content));
  item.append(sender, time, content);
  return item;
}

function appendMessage(room: OpenRoom, message: Message): void {
  // Messages come in seq order; a replay after a reconnect may repeat some.
  if (current !== room || message.seq <= room.lastSeq) return;
  room.lastSeq = message.seq;
  const list = byId("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.append(renderMessage(message));
  if (atBottom) list.scrollTop = list.scrollHeight;
}

/** The open room's members, online first; each item says which in its text and class. */
function renderMembers(members: Member[]): void {
  const sorted = [...members].sort((a, b) => Number(b.online) - Number(a.online) || a.username.localeCompare(b.username));
  byId("members").replaceChildren(
    ...sorted.map((member) => {
      const item = document.createElement("li");
      item.dataset.userId = member.id;
      item.classList.toggle("online", member.online);
      item.textContent = `${member.username} (${member.online ? "online" : "offline"})`;
      return item;
    }),
  );
}

async function loadMembers(room: OpenRoom): Promise<void> {
  const data = await gql<{ room: { members: { edges: Array<{ node: { user: Member } }> } } }>(
    `query Members($roomId: ID!) { room(id: $roomId) { members(first: 100) { edges { node { user { id username online } } } } } }`,
    { roomId: room.id },
  );
  if (current !== room) return;
  room.members = data.room.members.edges.map((edge) => edge.node.user);
  renderMembers(room.members);
}

/** A member came online or went offline. */
function updatePresence(room: OpenRoom, user: Member): void {
  if (current !== room) return;
  const { members } = room;
  room.members = members.some((member) => member.id === user.id)
    ? members.map((member) => (member.id === user.id ? user : member))
    : [...members, user];
  renderMembers(room.members);
}

function roomLabel(room: Room): string {
  if (room.name) return room.name;
  return room.kind === "ONE_TO_ONE" ? "One-to-one chat" : "Unnamed room";
}

function renderRooms(): void {
  const list = byId("rooms");
  list.replaceChildren(
    ...rooms.map((room) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.roomId = room.id;
      button.textContent = `${roomLabel(room)} (${room.memberCount})`;
      button.classList.toggle("current", room.id === current?.id);
      button.classList.toggle("unread", unread.has(room.id));
      button.addEventListener("click", () => void openRoom(room).catch((error) => showError("status", error)));
      item.append(button);
      return item;
    }),
  );
}

let roomsLoading: Promise<void> | null = null;
let roomsStale = false;

/** Reloads the room list; calls during a load fold into one more load after it. */
async function loadRooms(): Promise<void> {
  if (roomsLoading) {
    roomsStale = true;
    return roomsLoading;
  }
  roomsLoading = (async () => {
    do {
      roomsStale = false;
      const data = await gql<{ rooms: { edges: Array<{ node: Room }> } }>(
        `{ rooms(first: 100) { edges { node { ${ROOM_FIELDS} } } } }`,
      );
      rooms = data.rooms.edges.map((edge) => edge.node);
      renderRooms();
    } while (roomsStale);
  })().finally(() => {
    roomsLoading = null;
  });
  return roomsLoading;
}

function closeRoom(): void {
  current?.stop();
  current = null;
  byId("room-title").textContent = "Pick a room";
  byId("messages").replaceChildren();
  byId("members").replaceChildren();
  byId("send-form").hidden = true;
  renderRooms();
}

async function openRoom(room: Room): Promise<void> {
  clearErrors();
  current?.stop();
  const opened: OpenRoom = { id: room.id, lastSeq: 0, members: [], stop: () => {} };
  current = opened;
  unread.delete(room.id);
  byId("room-title").textContent = roomLabel(room);
  byId("messages").replaceChildren();
  byId("members").replaceChildren();
  byId("send-form").hidden = false;
  renderRooms();
  const data = await gql<{ messages: { edges: Array<{ node: Message }> } }>(
    `query History($roomId: ID!) { messages(roomId: $roomId, last: 50) { edges { node { ${MESSAGE_FIELDS} } } } }`,
    { roomId: room.id },
  );
  if (current !== opened) return;
  for (const edge of data.messages.edges) appendMessage(opened, edge.node);
  // Subscribed before the members are read: a change in between is not missed.
  subscribeToRoom(opened, room);
  await loadMembers(opened);
  byId<HTMLInputElement>("message-input").focus();
}

/** Live events after the last message shown: the server replays any sent meanwhile, so none is
 * lost; presence changes and membership changes keep the member list current. */
function subscribeToRoom(room: OpenRoom, details: Room): void {
  if (!ws) return;
  room.stop = ws.subscribe<{ roomEvents: RoomEvent }>(
    { query: ROOM_EVENTS, variables: { roomId: room.id, afterSeq: room.lastSeq } },
    {
      next: ({ data, errors }) => {
        if (errors?.length) showError("status", new GraphQLFailure(errors as GraphQLError[]));
        const event = data?.roomEvents;
        if (!event) return;
        if (event.kind === "RESET") {
          // Too much was missed to replay: reload the history and start over from it.
          room.stop();
          if (current === room) void openRoom(details).catch((error) => showError("status", error));
        } else if (event.kind === "MESSAGE_ADDED" && event.message) {
          appendMessage(room, event.message);
        } else if (event.kind === "PRESENCE_CHANGED" && event.user) {
          updatePresence(room, event.user);
        } else if (event.kind === "MEMBERS_ADDED" || event.kind === "MEMBERS_REMOVED") {
          void loadMembers(room).catch((error) => showError("status", error));
        }
      },
      error: (error) => {
        if (current !== room) return;
        const errors = Array.isArray(error) ? (error as GraphQLError[]) : null;
        showError("status", errors ? new GraphQLFailure(errors) : "The live connection to this room failed.");
      },
      complete: () => {
        // The server ends it when the viewer left or was removed, or the room was deleted.
        if (current === room) {
          closeRoom();
          void loadRooms().catch((error) => showError("status", error));
        }
      },
    },
  );
}

function setConnection(state: "connecting…" | "live" | "reconnecting…" | "signed out"): void {
  const badge = byId("connection");
  badge.textContent = state;
  badge.classList.toggle("live", state === "live");
}

function connect(): void {
  const protocol = location.protocol === "https:" ? "wss" : "ws";
  ws = createClient({
    url: `${protocol}://${location.host}/graphql`,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: Infinity,
    // 4401 (bad token) and 4403 (refused) will not change on a retry.
    shouldRetry: (event) => !(event instanceof CloseEvent && (event.code === 4401 || event.code === 4403)),
    on: {
      connected: () => setConnection("live"),
      closed: () => {
        if (ws) setConnection("reconnecting…");
      },
    },
  });
  setConnection("connecting…");
  // Rooms the viewer is added to or removed from, and activity in rooms not open.
  stopViewerEvents = ws.subscribe<{ viewerEvents: { kind: string; roomId: string } }>(
    { query: "subscription Viewer { viewerEvents { kind roomId } }" },
    {
      next: ({ data }) => {
        const event = data?.viewerEvents;
        if (!event) return;
        if ((event.kind === "REMOVED_FROM_ROOM" || event.kind === "ROOM_DELETED") && event.roomId === current?.id) {
          closeRoom();
        }
        if (event.kind === "MESSAGE_ADDED" && event.roomId !== current?.id) unread.add(event.roomId);
        const refresh = ["ADDED_TO_ROOM", "REMOVED_FROM_ROOM", "ROOM_DELETED", "ROOM_UPDATED", "MEMBERS_ADDED", "MEMBERS_REMOVED", "MESSAGE_ADDED"];
        if (refresh.includes(event.kind)) void loadRooms().catch((error) => showError("status", error));
      },
      error: () => showError("status", "Live updates stopped; reload the page."),
      complete: () => {},
    },
  );
}

async function signIn(candidate: string): Promise<void> {
  token = candidate.trim().replace(/^Bearer\s+/i, "");
  const { viewer } = await gql<{ viewer: User | null }>("{ viewer { id username } }");
  if (!viewer) throw new Error("That token names no user.");
  sessionStorage.setItem(TOKEN_KEY, token);
  byId("me").textContent = viewer.username;
  byId("whoami").hidden = false;
  byId("sign-in").hidden = true;
  byId("chat").hidden = false;
  clearErrors();
  connect();
  await loadRooms();
}

function signOut(): void {
  closeRoom();
  stopViewerEvents();
  const client = ws;
  ws = null;
  void client?.dispose();
  token = "";
  rooms = [];
  unread.clear();
  sessionStorage.removeItem(TOKEN_KEY);
  setConnection("signed out");
  byId("rooms").replaceChildren();
  byId("whoami").hidden = true;
  byId("chat").hidden = true;
  byId("sign-in").hidden = false;
}

async function devToken(userId: string): Promise<string> {
  const response = await fetch("/demo/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!response.ok || !body.token) throw new Error(body.error ?? `The server answered ${response.status}.`);
  return body.token;
}

function onSubmit(id: string, handler: (form: HTMLFormElement) => Promise<void>, errorTarget: "status" | "sign-in-error"): void {
  const form = byId<HTMLFormElement>(id);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    if (button) button.disabled = true;
    handler(form)
      .catch((error: unknown) => showError(errorTarget, error))
      .finally(() => {
        if (button) button.disabled = false;
      });
  });
}

function start(): void {
  onSubmit("dev-token-form", async () => signIn(await devToken(byId<HTMLInputElement>("user-id").value.trim())), "sign-in-error");
  onSubmit("token-form", async () => signIn(byId<HTMLInputElement>("token").value), "sign-in-error");
  onSubmit(
    "create-form",
    async () => {
      const name = byId<HTMLInputElement>("room-name");
      const members = byId<HTMLInputElement>("member-ids");
      const participantIds = members.value.split(/[\s,]+/).filter(Boolean);
      try {
        const { createGroupChat } = await gql<{ createGroupChat: Room }>(
          `mutation Create($input: CreateGroupChatInput!) { createGroupChat(input: $input) { ${ROOM_FIELDS} } }`,
          { input: { name: name.value.trim(), participantIds } },
        );
        name.value = "";
        members.value = "";
        await loadRooms();
        await openRoom(createGroupChat);
      } catch (error) {
        if (error instanceof GraphQLFailure && error.code === "NOT_FOUND") {
          throw new Error(`${error.message} A user must sign in once before others can add them.`);
        }
        throw error;
      }
    },
    "status",
  );
  onSubmit(
    "send-form",
    async () => {
      const input = byId<HTMLInputElement>("message-input");
      const text = input.value.trim();
      if (!current || !text) return;
      const clientMsgId = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
      // The message shows when the subscription delivers it, in seq order with everyone else's.
      await gql(`mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { id seq } }`, {
        input: { roomId: current.id, content: textToHtml(text), clientMsgId },
      });
      input.value = "";
    },
    "status",
  );
  byId("sign-out").addEventListener("click", signOut);

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) {
    signIn(saved).catch(() => {
      sessionStorage.removeItem(TOKEN_KEY);
      signOut();
    });
  }
}

start();
