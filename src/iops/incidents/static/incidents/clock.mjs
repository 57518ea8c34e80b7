// Attendance clocks: every element with data-due-at counts down to it once a second, and says
// how far over once it has passed. The server renders the same words, so the page reads the same
// without this script; the script only keeps it moving.

function words(seconds) {
  const magnitude = Math.abs(seconds);
  const text = `${String(Math.floor(magnitude / 60)).padStart(2, "0")}:${String(magnitude % 60).padStart(2, "0")}`;
  return seconds >= 0 ? `${text} left` : `${text} over`;
}

function tick() {
  const now = Date.now();
  for (const clock of document.querySelectorAll("[data-due-at]")) {
    const seconds = Math.round((Date.parse(clock.dataset.dueAt) - now) / 1000);
    clock.textContent = words(seconds);
    clock.classList.toggle("iops-clock--overdue", seconds < 0);
  }
}

tick();
setInterval(tick, 1000);
