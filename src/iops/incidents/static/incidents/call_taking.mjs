// The call-taking page: keyboard-first entry, the AML message read as it is pasted, gazetteer
// type-ahead, a map to mark a point, and the risk and duplicate panels refreshed as soon as the
// location (or the names, or the category) changes. The server does every check again on submit;
// this script only saves the call handler from having to ask for things.

const form = document.getElementById("call-taking-form");
const settings = JSON.parse(document.getElementById("map-settings")?.textContent || "{}");

const field = (name) => form.elements.namedItem(name);
const urls = {
  aml: form.dataset.amlUrl,
  addresses: form.dataset.addressesUrl,
  risk: form.dataset.riskUrl,
  duplicates: form.dataset.duplicatesUrl,
};

// Where the call is, as the page knows it: a gazetteer address, a point marked on the map, or the
// handset's AML position. The server applies the same order (address, then map, then AML).
const place = { addressId: null, address: null, map: null, aml: null };

function debounce(work, wait) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => work(...args), wait);
  };
}

function swap(verb, url, target, values) {
  // htmx sends the CSRF token (iops/init.mjs) and swaps the server-rendered fragment in.
  return window.htmx.ajax(verb, url, { target, swap: "innerHTML", values });
}

// --- Enter never sends half a form ------------------------------------------------------------

function focusables() {
  return Array.from(
    form.querySelectorAll("input:not([type=hidden]), select, textarea, button, [tabindex='0']"),
  ).filter((element) => !element.disabled && element.offsetParent !== null);
}

function focusNext(from) {
  const items = focusables();
  let index = items.indexOf(from);
  // Skip the rest of a radio group: the next stop is the next field, not the next option.
  while (index + 1 < items.length && from.type === "radio" && items[index + 1].name === from.name) {
    index += 1;
  }
  items[index + 1]?.focus();
}

form.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.defaultPrevented || event.isComposing) {
    return;
  }
  const target = event.target;
  if (target.tagName === "TEXTAREA" || target.tagName === "BUTTON" || target.id === "location-map") {
    return;
  }
  if (target.tagName === "INPUT" || target.tagName === "SELECT") {
    event.preventDefault();
    focusNext(target);
  }
});

// --- the map ----------------------------------------------------------------------------------

const mapElement = document.getElementById("location-map");
let map = null;
let pointLayer = null;

function drawPoint(lat, lon, radius, label) {
  if (!map) {
    return;
  }
  if (pointLayer) {
    pointLayer.remove();
  }
  const layers = [window.L.circleMarker([lat, lon], { radius: 7, color: "#d4351c", weight: 3, fillOpacity: 0.9 })];
  if (radius) {
    layers.push(window.L.circle([lat, lon], { radius, color: "#d4351c", weight: 1, fillOpacity: 0.1 }));
  }
  pointLayer = window.L.featureGroup(layers).addTo(map);
  pointLayer.bindTooltip(label);
  map.setView([lat, lon], Math.max(map.getZoom(), 16));
}

function setupMap() {
  if (!window.L || !mapElement) {
    return;
  }
  map = window.L.map(mapElement, { keyboard: true, attributionControl: Boolean(settings.attribution) });
  if (settings.bounds) {
    map.fitBounds([
      [settings.bounds.south, settings.bounds.west],
      [settings.bounds.north, settings.bounds.east],
    ]);
  } else {
    map.setView(settings.centre || [54, -2.5], 6);
  }
  if (settings.tiles) {
    window.L.tileLayer(settings.tiles, { attribution: settings.attribution || "", maxZoom: 19 }).addTo(map);
  }
  if (settings.areas_url) {
    fetch(settings.areas_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((areas) => {
        if (areas && areas.features) {
          window.L.geoJSON(areas, {
            style: { color: "#1d70b8", weight: 1, fillOpacity: 0.03 },
            onEachFeature: (feature, layer) => layer.bindTooltip(feature.properties?.name || ""),
          }).addTo(map);
        }
      })
      .catch(() => {});
  }
  map.on("click", (event) => markMap(event.latlng.lat, event.latlng.lng));
  mapElement.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      const centre = map.getCenter();
      markMap(centre.lat, centre.lng);
    }
  });
}

// --- the location, and the panels that follow it ----------------------------------------------

function describePlace() {
  const used = document.getElementById("location-used");
  const chosen = current();
  if (!chosen) {
    used.textContent = "No location yet: paste the AML message, find the address, or mark the map.";
    return;
  }
  used.textContent = `Location: ${chosen.label}.`;
  if (Number.isFinite(chosen.lat) && Number.isFinite(chosen.lon)) {
    drawPoint(chosen.lat, chosen.lon, chosen.radius, chosen.label);
  }
}

function current() {
  if (place.addressId) {
    return { ...place.address, source: "address" };
  }
  if (place.map) {
    return { ...place.map, source: "map" };
  }
  if (place.aml) {
    return { ...place.aml, source: "aml" };
  }
  return null;
}

function locationValues() {
  const chosen = current();
  if (!chosen) {
    return {};
  }
  if (chosen.source === "address") {
    return { address_id: place.addressId };
  }
  const values = { lat: chosen.lat, lon: chosen.lon };
  if (chosen.radius) {
    values.radius = chosen.radius;
  }
  return values;
}

const refreshRisk = debounce(() => {
  const values = { ...locationValues(), people_named: field("people_named").value };
  if (Object.keys(values).length === 1 && !values.people_named.trim()) {
    return;
  }
  swap("GET", urls.risk, "#risk-panel", values);
}, 250);

const refreshDuplicates = debounce(() => {
  const category = field("opening_category").value;
  const located = locationValues();
  if (!category || Object.keys(located).length === 0) {
    return;
  }
  swap("GET", urls.duplicates, "#duplicates-panel", { ...located, opening_category: category });
}, 250);

function locationChanged() {
  describePlace();
  refreshRisk();
  refreshDuplicates();
}

function markMap(lat, lon) {
  place.map = { lat, lon, radius: null, label: `point on the map ${lat.toFixed(5)}, ${lon.toFixed(5)}` };
  clearAddress(false);
  field("latitude").value = lat.toFixed(6);
  field("longitude").value = lon.toFixed(6);
  document.getElementById("map-point").textContent = `Marked on the map: ${lat.toFixed(5)}, ${lon.toFixed(5)}.`;
  locationChanged();
}

// --- AML --------------------------------------------------------------------------------------

const readAml = debounce(() => {
  const text = field("aml_message").value;
  if (!text.trim()) {
    place.aml = null;
    document.getElementById("aml-result").innerHTML = "";
    locationChanged();
    return;
  }
  swap("POST", urls.aml, "#aml-result", { aml_message: text }).then(() => {
    const found = document.querySelector("#aml-result [data-lat]");
    place.aml = found
      ? {
          lat: Number(found.dataset.lat),
          lon: Number(found.dataset.lon),
          radius: found.dataset.radius ? Number(found.dataset.radius) : null,
          label: `caller's handset ${found.dataset.lat}, ${found.dataset.lon}${found.dataset.radius ? ` within ${found.dataset.radius} m` : ""}`,
        }
      : null;
    locationChanged();
  });
}, 300);

field("aml_message").addEventListener("input", readAml);

// --- gazetteer type-ahead (a combobox: focus stays in the box, arrows move the choice) ---------

const query = field("address_query");
const results = document.getElementById("address-results");
let active = -1;

function options() {
  return Array.from(results.querySelectorAll("[role=option]"));
}

// The matches come from geo's type-ahead fragment (a list of links, each item carrying the
// address's id and position in data- attributes); here they become the options of a listbox, so
// focus stays in the box and a pick never follows the link away from the call.
function adoptMatches() {
  const list = results.querySelector("ul");
  if (list) {
    list.setAttribute("role", "listbox");
    list.id = "address-listbox";
    list.setAttribute("aria-label", "Matching addresses");
    list.classList.add("iops-listbox");
  }
  results.querySelectorAll("li[data-address-id]").forEach((item, index) => {
    const link = item.querySelector("a");
    item.setAttribute("role", "option");
    item.id = `address-option-${index}`;
    item.setAttribute("aria-selected", "false");
    item.classList.add("iops-listbox__option");
    item.dataset.label = (link?.textContent || item.textContent).trim();
    link?.setAttribute("tabindex", "-1");
  });
}

function highlight(index) {
  const items = options();
  items.forEach((item, position) => item.setAttribute("aria-selected", String(position === index)));
  active = index;
  if (items[index]) {
    query.setAttribute("aria-activedescendant", items[index].id);
    items[index].scrollIntoView({ block: "nearest" });
  } else {
    query.removeAttribute("aria-activedescendant");
  }
}

function closeResults() {
  results.innerHTML = "";
  active = -1;
  query.setAttribute("aria-expanded", "false");
  query.removeAttribute("aria-activedescendant");
}

function pick(option) {
  place.addressId = option.dataset.addressId;
  place.address = {
    lat: Number(option.dataset.latitude),
    lon: Number(option.dataset.longitude),
    radius: null,
    label: option.dataset.label,
  };
  field("address_id").value = place.addressId;
  // A chosen address replaces a point marked earlier: the last choice is the location.
  place.map = null;
  field("latitude").value = "";
  field("longitude").value = "";
  document.getElementById("map-point").textContent = "";
  document.getElementById("chosen-address-text").textContent = option.dataset.label;
  document.getElementById("chosen-address").hidden = false;
  query.value = "";
  closeResults();
  locationChanged();
}

function clearAddress(announce = true) {
  place.addressId = null;
  place.address = null;
  field("address_id").value = "";
  document.getElementById("chosen-address").hidden = true;
  if (announce) {
    locationChanged();
  }
}

const searchAddresses = debounce(() => {
  if (query.value.trim().length < 2) {
    closeResults();
    return;
  }
  swap("GET", urls.addresses, "#address-results", { q: query.value }).then(() => {
    adoptMatches();
    const found = options().length > 0;
    query.setAttribute("aria-expanded", String(found));
    query.setAttribute("aria-controls", "address-listbox");
    highlight(found ? 0 : -1);
  });
}, 200);

query.addEventListener("input", searchAddresses);
query.addEventListener("keydown", (event) => {
  const items = options();
  if (event.key === "ArrowDown" && items.length) {
    event.preventDefault();
    highlight((active + 1) % items.length);
  } else if (event.key === "ArrowUp" && items.length) {
    event.preventDefault();
    highlight((active - 1 + items.length) % items.length);
  } else if (event.key === "Enter") {
    // Enter picks the highlighted address; with none, it moves on (never submits).
    event.preventDefault();
    if (items[active]) {
      pick(items[active]);
    } else {
      focusNext(query);
    }
  } else if (event.key === "Escape") {
    closeResults();
  }
});
results.addEventListener("click", (event) => {
  const option = event.target.closest("[role=option]");
  if (option) {
    event.preventDefault();
    pick(option);
    query.focus();
  }
});
document.getElementById("clear-address").addEventListener("click", () => {
  clearAddress();
  query.focus();
});

// --- names and category ----------------------------------------------------------------------

field("people_named").addEventListener("change", refreshRisk);
field("opening_category").addEventListener("change", refreshDuplicates);

// --- start ------------------------------------------------------------------------------------

setupMap();
if (field("address_id").value) {
  place.addressId = field("address_id").value;
  const text = document.getElementById("chosen-address-text").textContent;
  place.address = { lat: null, lon: null, radius: null, label: text };
}
if (field("latitude").value && field("longitude").value) {
  const lat = Number(field("latitude").value);
  const lon = Number(field("longitude").value);
  place.map = { lat, lon, radius: null, label: `point on the map ${lat.toFixed(5)}, ${lon.toFixed(5)}` };
  drawPoint(lat, lon, null, place.map.label);
}
if (field("aml_message").value.trim()) {
  readAml();
}
