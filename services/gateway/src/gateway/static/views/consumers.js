// Each durable consumer's lag as JetStream reports it: messages waiting for a replica (pending)
// and being worked on (in progress). Read every few seconds while shown: lag is not an event.

import { api } from "../api.js";
import { h, keyed } from "../dom.js";

const EVERY_MS = 5000;

function row(consumer) {
  return h("tr", { "data-consumer": consumer.name },
    h("td", { class: "consumer-name" }, consumer.name),
    h("td", { class: "consumer-pending" }),
    h("td", { class: "consumer-ack-pending" }),
    h("td", { class: "consumer-redelivered" }),
    h("td", { class: "consumer-waiting" }));
}

function update(tr, consumer) {
  tr.querySelector(".consumer-pending").textContent = consumer.pending;
  tr.querySelector(".consumer-ack-pending").textContent = consumer.ack_pending;
  tr.querySelector(".consumer-redelivered").textContent = consumer.redelivered;
  tr.querySelector(".consumer-waiting").textContent = consumer.waiting;
  tr.classList.toggle("lagging", consumer.pending > 0);
}

// `available`: whether the gateway can ask NATS at all (it says so with the feed's head).
export function consumerLag(available) {
  const rows = h("tbody");
  const note = h("p", { class: "muted consumers-note", role: "status" });
  const element = h("section", { class: "consumers", "aria-label": "consumer lag" },
    h("h2", {}, "Consumers"),
    h("table", { class: "consumers-table" },
      h("thead", {}, h("tr", {},
        h("th", {}, "consumer"), h("th", { title: "not yet delivered to any replica" }, "pending"),
        h("th", { title: "delivered, not yet acknowledged" }, "in progress"),
        h("th", { title: "delivered more than once, not yet acknowledged" }, "redelivered"),
        h("th", { title: "pull requests waiting: idle replicas" }, "waiting pulls"))),
      rows),
    note);
  let refreshes = 0;
  let timer = null;
  let disposed = false;

  async function load() {
    try {
      const { items } = await api.consumers();
      keyed(rows, items, (consumer) => consumer.name, row, update);
      note.textContent = items.length ? "" : "No consumer yet: no service has started.";
    } catch (error) {
      note.textContent = `Consumer lag unavailable: ${error.detail || error.message}`;
    }
    element.dataset.refreshes = String(++refreshes);
  }

  // One request at a time: the next is asked for once the last has answered.
  async function poll() {
    await load();
    if (!disposed) timer = setTimeout(poll, EVERY_MS);
  }

  if (available) poll();
  else note.textContent = "This gateway is not connected to NATS: no consumer lag to show.";
  return {
    element,
    dispose() {
      disposed = true;
      clearTimeout(timer);
    },
  };
}
