// Draws the backlog trend charts from the JSON block the page carries. The tables beside each chart
// hold the same figures, so the page reads the same without this script (WCAG 2.2 AA, 1.1.1).
// Chart.js comes from the UMD build loaded just before this module (window.Chart).

const GOVUK = { blue: "#1d70b8", red: "#d4351c", green: "#00703c", black: "#0b0c0c", grey: "#505a5f" };

function lineChart(canvas, series) {
  return new window.Chart(canvas, {
    type: "line",
    data: {
      labels: series.labels,
      datasets: [
        { label: "Open", data: series.open, borderColor: GOVUK.blue, backgroundColor: GOVUK.blue,
          pointStyle: "circle", borderWidth: 3, spanGaps: false },
        // Dashed as well as red, so the two lines differ without relying on colour (WCAG 1.4.1).
        { label: "Overdue", data: series.overdue, borderColor: GOVUK.red, backgroundColor: GOVUK.red,
          pointStyle: "rectRot", borderDash: [6, 4], borderWidth: 3, spanGaps: false },
      ],
    },
    options: baseOptions(),
  });
}

function barChart(canvas, series) {
  return new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: series.labels,
      datasets: [
        { label: "Opened", data: series.opened, backgroundColor: GOVUK.blue },
        { label: "Closed", data: series.closed, backgroundColor: GOVUK.green },
      ],
    },
    options: baseOptions(),
  });
}

function baseOptions() {
  return {
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: "index", intersect: false },
    plugins: { legend: { position: "bottom", labels: { usePointStyle: true } } },
    scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
  };
}

function draw() {
  const source = document.getElementById("backlog-trend-data");
  if (!source || !window.Chart) {
    return;
  }
  const data = JSON.parse(source.textContent);
  window.Chart.defaults.color = GOVUK.black;
  // GOV.UK Frontend sets its typeface on its own classes, not on body.
  const text = document.querySelector(".govuk-body, .govuk-body-s") || document.body;
  window.Chart.defaults.font.family = getComputedStyle(text).fontFamily;
  window.Chart.defaults.font.size = 14;
  for (const canvas of document.querySelectorAll("canvas[data-backlog-chart]")) {
    const kind = canvas.dataset.backlogChart;
    const box = canvas.closest("[data-chart-box]");
    if (box) {
      box.hidden = false;
    }
    if (kind === "daily") {
      lineChart(canvas, data.daily);
    } else if (kind === "weekly") {
      barChart(canvas, data.weekly);
    }
    canvas.dataset.drawn = "true";
  }
}

draw();
