// Shared by every overlay page (inlined by the server). Every user string reaches the page through
// textContent, never as HTML: a name like <script> shows as text.
"use strict";
const params = new URLSearchParams(location.search);
const KEY = params.get("key") || "";
let roomName = params.get("room") || "";

function apiUrl(path, extra) {
  const u = new URL(path, location.origin);
  u.searchParams.set("key", KEY);
  for (const [k, v] of Object.entries(extra || {})) {
    if (v !== "" && v !== null && v !== undefined) u.searchParams.set(k, String(v));
  }
  return u.toString();
}

async function getJson(path) {
  const r = await fetch(apiUrl(path), { cache: "no-store" });
  if (!r.ok) throw new Error("HTTP " + r.status);
  return r.json();
}

// The room this overlay follows: ?room=, else the session's first room.
async function pickRoom() {
  if (!roomName) {
    const j = await getJson("/api/v1/rooms");
    roomName = j.rooms.length ? j.rooms[0].room : "";
  }
  return roomName;
}

async function thisRoom() {
  const j = await getJson("/api/v1/rooms");
  return j.rooms.find((r) => r.room === roomName || r.platform + ":" + r.room === roomName) || null;
}

const UNIT_LABEL = { tokens: "tk", bits: "bits" };

function fmt(n) {
  return Number(n || 0).toLocaleString("en-US");
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function who(v) {
  return v.anonymous || !v.user ? "Anonymous" : String(v.user);
}

// Gifts: what an event gave, in its unit (null when it gave nothing countable).
const GIFT_KINDS = ["tip", "cheer", "media_purchase", "subscription", "resubscription", "sub_gift"];

function describe(v) {
  const tier = (t) => "tier " + String(t || "1000").charAt(0);
  switch (v.kind) {
    case "tip": return [who(v), "tipped " + fmt(v.tokens) + " tk", v.message || ""];
    case "cheer": return [who(v), "cheered " + fmt(v.bits) + " bits", v.message || ""];
    case "media_purchase": return [who(v), "bought " + ((v.media && v.media.name) || "media") + " · " + fmt(v.tokens) + " tk", ""];
    case "subscription": return [who(v), "subscribed (" + tier(v.tier) + ")", ""];
    case "resubscription": return [who(v), "resubscribed · " + fmt(v.cumulative_months) + " months", v.message || ""];
    case "sub_gift": return [who(v), "gifted " + fmt(v.total) + " subs (" + tier(v.tier) + ")", ""];
    case "chat_message": return [who(v), v.message || "", ""];
    case "follow": return [who(v), "followed", ""];
    case "fanclub_join": return [who(v), "joined the fan club", ""];
    case "raid": return [who(v), "raided with " + fmt(v.viewers) + " viewers", ""];
    case "redemption": return [who(v), "redeemed " + ((v.reward && v.reward.title) || "a reward"), v.input || ""];
    case "room_subject_change": return ["", "New subject: " + (v.subject || ""), ""];
    case "went_live": return [String(v.room), "went live", (v.data && v.data.title) || ""];
    case "went_offline": return [String(v.room), "went offline", ""];
    default: return [v.user ? String(v.user) : "", String(v.kind).replace(/_/g, " "), ""];
  }
}

// Runs start() once the room is known; retries every 5 s while roomwatch is starting or busy.
function begin(start) {
  pickRoom().then(start).catch(() => setTimeout(() => begin(start), 5000));
}

// Follows the room's events; reconnects by itself, also after an HTTP error (EventSource gives up on those),
// going on after the last line it had (never from opts.since again: that would replay the ring).
function listen(onLine, opts) {
  opts = opts || {};
  let es = null;
  let lastId = null;
  let session = "";
  const open = async () => {
    // The session our ids are from: after a restart of roomwatch the server sees it changed and sends every
    // line of the new session it still holds, instead of skipping up to our old id.
    try { session = session || (await getJson("/api/v1/session")).session; } catch (_) { /* resume as is */ }
    const since = lastId !== null ? lastId : opts.since;
    es = new EventSource(apiUrl("/api/v1/events", { room: roomName, kind: opts.kinds, since: since, session: session }));
    es.onopen = () => {
      document.body.dataset.connected = "yes";
      if (opts.onOpen) opts.onOpen();
    };
    es.onmessage = (e) => {
      if (e.lastEventId) lastId = e.lastEventId;
      let v;
      try { v = JSON.parse(e.data); } catch (_) { return; }
      onLine(v);
    };
    es.addEventListener("lagged", () => { if (opts.onOpen) opts.onOpen(); });
    // roomwatch restarted: every line of the new session is new here; start over on it (this stream's URL
    // still names the old session, which a later reconnect would send again).
    es.addEventListener("session", (e) => {
      let now = "";
      try { now = JSON.parse(e.data).session; } catch (_) { return; }
      if (session && now !== session) {
        session = now;
        lastId = null;
        opts.since = 0;
        es.close();
        open();
      } else {
        session = now;
      }
    });
    es.onerror = () => {
      document.body.dataset.connected = "no";
      if (es.readyState === EventSource.CLOSED) setTimeout(open, 5000);
    };
  };
  open();
}

// Calls f at most every `ms`, with the latest call's effect.
function debounce(f, ms) {
  let t = null;
  return () => {
    if (t) return;
    t = setTimeout(() => { t = null; f(); }, ms);
  };
}
