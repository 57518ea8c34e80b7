// Makes the live board live. The page is complete without this script (actions are forms that come
// back to the board); with it:
//  - an EventSource on /api/v1/events tells us what changed. Events are hints, not data: on each one
//    we refetch the region it concerns (the incidents or the units fragment, rendered by the same
//    templates as the page), so a refetched board always equals a board with the events applied.
//    On `ready` (connected, or reconnected after a drop) and `resync` we refetch both regions.
//    Refetches are coalesced and spread over a few hundred milliseconds, so a burst of changes costs
//    one request per region and a room of screens does not ask at the same instant.
//  - unit moves carry their position, which is applied to the unit's row and map marker directly.
//  - clocks tick every second from the server's times (corrected for this computer's clock).
//  - Assign and Stand down are sent without leaving the page; the outcome is announced.
//  - a Leaflet map shows the beats, incidents and units, with or without map tiles.

const board = document.getElementById("board");
const GRADE_COLOURS = { emergency: "#d4351c", priority: "#f47738" };
const REGIONS = {
  incidents: { id: "board-incidents", url: () => board.dataset.incidentsUrl },
  units: { id: "board-units", url: () => board.dataset.unitsUrl },
};
// How long after a unit moves before the recommendations (whose ETAs it changes) are refetched.
const MOVE_REFRESH_MS = 10000;

let clockOffset = 0;
const pending = new Set();
const sequence = { incidents: 0, units: 0 };
let flushTimer = null;
let moveTimer = null;
let map = null;

function minutesSeconds(seconds) {
  const total = Math.floor(Math.abs(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${minutes}:${secs}`;
}

function readServerTime(region) {
  const stamp = Date.parse(region?.dataset.serverNow || "");
  if (!Number.isNaN(stamp)) {
    clockOffset = stamp - Date.now();
  }
}

function tick() {
  const now = Date.now() + clockOffset;
  for (const clock of document.querySelectorAll("[data-clock]")) {
    if (clock.dataset.clock === "since") {
      const until = clock.dataset.until ? Date.parse(clock.dataset.until) : now;
      clock.textContent = minutesSeconds(Math.max(0, until - Date.parse(clock.dataset.since)) / 1000);
    } else if (clock.dataset.clock === "due") {
      const remaining = (Date.parse(clock.dataset.due) - now) / 1000;
      clock.textContent = remaining >= 0 ? `${minutesSeconds(remaining)} left` : `${minutesSeconds(remaining)} over`;
      clock.classList.toggle("iops-clock--missed", remaining < 0);
    }
  }
}

// --- status and notices -------------------------------------------------------------------------

function setLive(state) {
  const live = document.getElementById("board-live");
  if (!live) {
    return;
  }
  const texts = {
    connected: "Live: changes appear as they happen.",
    lost: "Connection lost: reconnecting. What you see may be out of date.",
    closed: "Not receiving changes. Reload the page to reconnect.",
  };
  live.textContent = texts[state];
  live.classList.toggle("iops-board__live--connected", state === "connected");
  live.classList.toggle("iops-board__live--lost", state !== "connected");
}

function notice(message, ok) {
  const region = document.getElementById("board-notice");
  if (!region) {
    return;
  }
  const box = document.createElement("div");
  const text = document.createElement("p");
  text.className = "govuk-body govuk-!-margin-bottom-0";
  text.textContent = message;
  box.className = ok ? "govuk-notification-banner govuk-notification-banner--success" : "govuk-error-summary";
  box.tabIndex = -1;
  const title = document.createElement("h2");
  title.className = ok ? "govuk-notification-banner__title" : "govuk-error-summary__title";
  title.textContent = ok ? "Done" : "That was not done";
  const body = document.createElement("div");
  body.className = ok ? "govuk-notification-banner__content" : "govuk-error-summary__body";
  body.append(text);
  box.append(title, body);
  region.replaceChildren(box);
  return box;
}

// --- refetching regions ----------------------------------------------------------------------------

function schedule(...names) {
  for (const name of names) {
    pending.add(name);
  }
  if (flushTimer === null) {
    flushTimer = setTimeout(flush, 100 + Math.random() * 300);
  }
}

function flush() {
  flushTimer = null;
  const names = [...pending];
  pending.clear();
  return Promise.all(names.map(refresh));
}

async function refresh(name) {
  const region = REGIONS[name];
  const mine = ++sequence[name];
  let response;
  try {
    response = await fetch(region.url(), { credentials: "same-origin", headers: { Accept: "text/html" } });
  } catch {
    setLive("lost");
    return;
  }
  if (response.redirected || response.status === 401 || response.status === 403) {
    notice("You have been signed out. Sign in again to keep the board up to date.", false);
    return;
  }
  if (!response.ok) {
    return;
  }
  const html = await response.text();
  if (mine !== sequence[name]) {
    return; // a later refetch of this region has been asked for; its answer wins
  }
  const current = document.getElementById(region.id);
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  const fresh = template.content.firstElementChild;
  if (!current || !fresh) {
    return;
  }
  const focused = document.activeElement && current.contains(document.activeElement) ? document.activeElement.id : "";
  if (name === "incidents") {
    const known = new Set([...current.querySelectorAll("[data-incident-id]")].map((row) => row.id));
    for (const row of fresh.querySelectorAll("[data-incident-id]")) {
      if (!known.has(row.id)) {
        row.classList.add("iops-board__incident--new");
      }
    }
  }
  current.replaceWith(fresh);
  if (focused) {
    document.getElementById(focused)?.focus();
  }
  readServerTime(fresh);
  tick();
  syncMarkers();
}

// --- the event stream -------------------------------------------------------------------------------

function connect() {
  const source = new EventSource(board.dataset.eventsUrl);
  source.addEventListener("ready", () => {
    setLive("connected");
    schedule("incidents", "units");
  });
  source.addEventListener("resync", () => schedule("incidents", "units"));
  source.addEventListener("incidents.changed", () => schedule("incidents"));
  source.addEventListener("dispatch.unit_changed", () => schedule("units", "incidents"));
  source.addEventListener("dispatch.assignment_changed", () => schedule("incidents", "units"));
  source.addEventListener("dispatch.unit_moved", (event) => moveUnit(JSON.parse(event.data)));
  source.addEventListener("error", () => setLive(source.readyState === EventSource.CLOSED ? "closed" : "lost"));
}

function moveUnit(moved) {
  const row = document.getElementById(`unit-${moved.id}`);
  if (row && Number(row.dataset.version || 0) <= moved.version) {
    row.dataset.lat = moved.latitude;
    row.dataset.lon = moved.longitude;
    row.dataset.version = moved.version;
    syncMarkers();
  }
  if (moveTimer === null) {
    moveTimer = setTimeout(() => {
      moveTimer = null;
      schedule("incidents");
    }, MOVE_REFRESH_MS);
  }
}

// --- actions --------------------------------------------------------------------------------------

async function act(event) {
  const form = event.target.closest("form[data-board-action]");
  if (!form) {
    return;
  }
  event.preventDefault();
  const data = new FormData(form, event.submitter || undefined);
  const buttons = [...form.querySelectorAll("button")];
  buttons.forEach((button) => { button.disabled = true; });
  let ok = false;
  let message = "That did not reach the server; check the connection and try again.";
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const body = await response.json().catch(() => ({}));
    ok = response.ok;
    message = body.message || (ok ? "Done." : "That was not done; reload the page and try again.");
  } catch {
    ok = false;
  }
  buttons.forEach((button) => { button.disabled = false; });
  const shown = notice(message, ok);
  await Promise.all([refresh("incidents"), refresh("units")]);
  // The button pressed may have gone with the refresh; keep keyboard users where the news is.
  if (!document.activeElement || document.activeElement === document.body) {
    shown?.focus();
  }
}

// --- the map -------------------------------------------------------------------------------------

function createMap() {
  const element = document.getElementById("board-map");
  if (!element || !window.L) {
    return null;
  }
  const L = window.L;
  const tiles = element.dataset.tileUrl;
  const created = L.map(element, { attributionControl: Boolean(tiles), keyboard: true }).setView([53.48, -2.24], 11);
  if (tiles) {
    L.tileLayer(tiles, { attribution: element.dataset.tileAttribution || "", maxZoom: 19 }).addTo(created);
  }
  const state = {
    map: created,
    incidents: L.layerGroup().addTo(created),
    units: L.layerGroup().addTo(created),
    incidentMarkers: new Map(),
    unitMarkers: new Map(),
    fitted: false,
  };
  fetch(element.dataset.beatsUrl, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : null))
    .then((beats) => {
      if (!beats || !beats.features || !beats.features.length) {
        return;
      }
      const layer = L.geoJSON(beats, {
        style: { color: "#505a5f", weight: 1, fillColor: "#ffffff", fillOpacity: tiles ? 0.1 : 0.9 },
        onEachFeature: (feature, shape) => shape.bindTooltip(feature.properties.name || ""),
      }).addTo(created);
      layer.bringToBack();
      created.fitBounds(layer.getBounds(), { padding: [10, 10] });
      state.fitted = true;
    })
    .catch(() => {});
  return state;
}

function syncLayer(rows, markers, layer, make) {
  const seen = new Set();
  for (const row of rows) {
    const lat = Number(row.dataset.lat);
    const lon = Number(row.dataset.lon);
    if (!row.dataset.lat || Number.isNaN(lat) || Number.isNaN(lon)) {
      continue;
    }
    const key = row.id;
    seen.add(key);
    const existing = markers.get(key);
    if (existing) {
      existing.remove();
    }
    const marker = make(row, [lat, lon]);
    marker.addTo(layer);
    markers.set(key, marker);
  }
  for (const [key, marker] of markers) {
    if (!seen.has(key)) {
      marker.remove();
      markers.delete(key);
    }
  }
}

function syncMarkers() {
  if (!map) {
    return;
  }
  const L = window.L;
  syncLayer(document.querySelectorAll("#board-incidents [data-incident-id]"), map.incidentMarkers, map.incidents, (row, at) =>
    L.circleMarker(at, {
      radius: 9,
      color: "#0b0c0c",
      weight: 2,
      fillColor: GRADE_COLOURS[row.dataset.grade] || "#1d70b8",
      fillOpacity: 0.9,
    }).bindTooltip(row.dataset.label || row.dataset.reference),
  );
  syncLayer(document.querySelectorAll("#board-units [data-unit-id]"), map.unitMarkers, map.units, (row, at) =>
    L.marker(at, {
      keyboard: false,
      icon: L.divIcon({
        className: `iops-map-unit iops-map-unit--${row.dataset.status}`,
        iconSize: [12, 12],
      }),
    }).bindTooltip(`${row.dataset.callSign} (${row.dataset.status.replace("_", " ")})`),
  );
  if (!map.fitted) {
    const points = [...map.incidentMarkers.values(), ...map.unitMarkers.values()].map((marker) => marker.getLatLng());
    if (points.length) {
      map.map.fitBounds(window.L.latLngBounds(points), { padding: [20, 20], maxZoom: 14 });
      map.fitted = true;
    }
  }
}

if (board) {
  readServerTime(document.getElementById("board-incidents"));
  map = createMap();
  syncMarkers();
  tick();
  setInterval(tick, 1000);
  board.addEventListener("submit", act);
  connect();
}
