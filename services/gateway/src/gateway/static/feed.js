// The gateway's live feed over a websocket, resumed after a disconnect from the last position.

import { apiKey } from "./api.js";

const FORBIDDEN = 4403;
const UNAUTHENTICATED = 4401;

// Calls onEvent(message) per event and onTick() per heartbeat; close() stops it for good.
export function follow({ after, corpus, onEvent, onTick = () => {}, onState = () => {} }) {
  let position = after;
  let socket = null;
  let stopped = false;
  let retry = null;

  function url() {
    const base = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/feed`;
    const query = new URLSearchParams({ after: String(position) });
    if (corpus) query.set("corpus", corpus);
    if (apiKey()) query.set("api_key", apiKey());
    return `${base}?${query}`;
  }

  function connect() {
    socket = new WebSocket(url());
    socket.onopen = () => onState("live");
    socket.onmessage = (frame) => {
      const message = JSON.parse(frame.data);
      if (typeof message.position === "number") position = Math.max(position, message.position);
      if (message.type === "heartbeat") onTick();
      else onEvent(message);
    };
    socket.onclose = (closed) => {
      if (stopped) return;
      if (closed.code === FORBIDDEN || closed.code === UNAUTHENTICATED) {
        onState(closed.code === FORBIDDEN ? "forbidden" : "unauthenticated");
        return;
      }
      onState("reconnecting");
      retry = setTimeout(connect, 1000);
    };
  }

  connect();
  return {
    close() {
      stopped = true;
      clearTimeout(retry);
      if (socket) socket.close();
    },
  };
}
