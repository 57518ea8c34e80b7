// Start GOV.UK Frontend and MoJ Frontend components on every page.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();

// htmx sends Django's CSRF token with every request it makes.
document.body.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector("meta[name=csrf-token]")?.content
    || document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1];
  if (token) {
    event.detail.headers["X-CSRFToken"] = token;
  }
});
