// Draws the figures page's charts from the JSON block the page carries. The tables beside each chart
// hold the same figures, so the page reads the same without this script. Chart.js comes from the
// UMD build loaded just before this module (window.Chart).

const COLOURS = ["#d4351c", "#f47738", "#1d70b8", "#00703c", "#4c2c92"];
const DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3], [1, 1]];

function draw() {
  const source = document.getElementById("figures-data");
  if (!source || !window.Chart) {
    return;
  }
  const data = JSON.parse(source.textContent);
  window.Chart.defaults.color = "#0b0c0c";
  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  const percentAxis = { y: { min: 0, max: 100, ticks: { callback: (value) => `${value}%` } } };
  const calls = document.querySelector("canvas[data-figures-chart=calls]");
  if (calls) {
    new window.Chart(calls, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: "% of 999 calls answered within 10 s", data: data.calls.percent, borderColor: "#1d70b8",
            backgroundColor: "#1d70b8", borderWidth: 3, spanGaps: true },
          { label: `Aim (${data.calls.aim}%)`, data: data.labels.map(() => data.calls.aim), borderColor: "#505a5f",
            borderDash: [6, 4], pointRadius: 0, borderWidth: 2 },
        ],
      },
      options: { maintainAspectRatio: false, animation: false, scales: percentAxis, plugins: { legend: { position: "bottom" } } },
    });
  }
  const attendance = document.querySelector("canvas[data-figures-chart=attendance]");
  if (attendance) {
    new window.Chart(attendance, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: Object.entries(data.attendance).map(([grade, values], index) => ({
          label: `${grade}: % attended within target`,
          data: values,
          borderColor: COLOURS[index % COLOURS.length],
          backgroundColor: COLOURS[index % COLOURS.length],
          borderDash: DASHES[index % DASHES.length],
          borderWidth: 3,
          spanGaps: true,
        })),
      },
      options: { maintainAspectRatio: false, animation: false, scales: percentAxis, plugins: { legend: { position: "bottom" } } },
    });
  }
}

draw();
